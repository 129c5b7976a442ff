// The YAML configuration file of `actledger serve`.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "server/options.h"

namespace actledger::server {
namespace {

template <typename T>
Status Read(const YAML::Node& node, const std::string& key, T* out) {
  try {
    *out = node.as<T>();
  } catch (const YAML::Exception& e) {
    return InvalidArgument("has the wrong type: " + std::string(e.what()), key);
  }
  return Status::Ok();
}

}  // namespace

Status LoadServerConfig(const std::string& path, ServerOptions* o) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read the configuration file " + path);
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path + ": " + e.what(), "config");
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) {
    return InvalidArgument(path + ": must be a mapping of option: value",
                           "config");
  }
  for (const auto& kv : root) {
    std::string key;
    try {
      key = kv.first.as<std::string>();
    } catch (const YAML::Exception&) {
      return InvalidArgument(path + ": keys must be strings", "config");
    }
    for (char& c : key) {
      if (c == '_') c = '-';
    }
    const YAML::Node& v = kv.second;
    Status st;
    if (key == "data") {
      st = Read(v, key, &o->data_dir);
    } else if (key == "listen") {
      st = Read(v, key, &o->listen);
    } else if (key == "tls-cert") {
      st = Read(v, key, &o->tls_cert);
    } else if (key == "tls-key") {
      st = Read(v, key, &o->tls_key);
    } else if (key == "threads") {
      st = Read(v, key, &o->threads);
    } else if (key == "max-connections") {
      st = Read(v, key, &o->max_connections);
    } else if (key == "max-header-bytes") {
      st = Read(v, key, &o->max_header_bytes);
    } else if (key == "max-record-bytes") {
      st = Read(v, key, &o->max_record_bytes);
    } else if (key == "max-batch-bytes") {
      st = Read(v, key, &o->max_batch_bytes);
    } else if (key == "max-queue-bytes") {
      st = Read(v, key, &o->max_queue_bytes);
    } else if (key == "max-waiters") {
      st = Read(v, key, &o->max_waiters);
    } else if (key == "max-wait") {
      st = Read(v, key, &o->max_wait_seconds);
    } else if (key == "read-timeout-ms") {
      st = Read(v, key, &o->read_timeout_ms);
    } else if (key == "idle-timeout-ms") {
      st = Read(v, key, &o->idle_timeout_ms);
    } else if (key == "shutdown-grace-ms") {
      st = Read(v, key, &o->shutdown_grace_ms);
    } else if (key == "access-log") {
      st = Read(v, key, &o->access_log);
    } else if (key == "strict") {
      st = Read(v, key, &o->strict);
    } else {
      return InvalidArgument(path + ": unknown option (see docs/API.md)", key);
    }
    ACTLEDGER_RETURN_IF_ERROR(st);
  }
  return Status::Ok();
}

}  // namespace actledger::server
