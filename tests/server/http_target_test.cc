// The request decoding of src/server/http.h on the inputs the HTTP
// fuzz target found and on their neighbours: control characters, raw or
// escaped NUL, invalid UTF-8 are refused naming `target`; a well-formed
// target decodes into its path and parameters.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http.h"

namespace actledger::server {
namespace {

Status Parse(std::string_view target) {
  std::string path;
  Params params;
  return ParseTarget(target, &path, &params);
}

TEST(HttpTarget, DecodesPathAndParameters) {
  std::string path;
  Params params;
  ASSERT_TRUE(ParseTarget("/v1/records?subject=customer%3A44821&kind=a+b&x",
                          &path, &params)
                  .ok());
  EXPECT_EQ(path, "/v1/records");
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0].first, "subject");
  EXPECT_EQ(params[0].second, "customer:44821");
  EXPECT_EQ(params[1].second, "a b");
  EXPECT_EQ(params[2].first, "x");
  EXPECT_EQ(params[2].second, "");
}

// The reproducer http_fuzz found (crash-99d66832…): raw CR, LF and NUL in
// the path were decoded into it and would have reached error messages and
// the access log.
TEST(HttpTarget, FuzzReproducerWithRawControlCharactersIsRefused) {
  const std::string target(
      "/\xd5\xab"
      "ication/x-ndjson\r\nContent-Length: 31\r\n\r\n\0\0\0\0",
      47);
  Status st = Parse(target);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "target");
  EXPECT_NE(st.message().find("control character"), std::string::npos)
      << st.message();
}

TEST(HttpTarget, ControlCharactersAnywhereAreRefused) {
  for (std::string_view t :
       {std::string_view("/v1/rec\tords"), std::string_view("/v1?a=b\x7f"),
        std::string_view("/v1?a\n=b"), std::string_view("/\0x", 3)}) {
    Status st = Parse(t);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << t;
    EXPECT_EQ(st.field(), "target") << t;
  }
}

TEST(HttpTarget, EscapedNulAndInvalidUtf8AreRefused) {
  EXPECT_EQ(Parse("/v1/records%00").field(), "target");
  EXPECT_EQ(Parse("/v1/records?x=%ff").field(), "target");
  EXPECT_EQ(Parse("/v1/records?x=%e2%82").field(), "target");
  EXPECT_EQ(Parse("no-slash").field(), "target");
  EXPECT_EQ(Parse("/v1/records?x=%4").field(), "target");
}

// The second reproducer http_fuzz found (crash-6f6069d3…): a line of
// spaces and carriage returns was passed on as a record.
TEST(HttpNdjson, LinesOfOnlyJsonWhitespaceAreSkipped) {
  std::vector<std::pair<size_t, std::string>> seen;
  Status st = ForEachNdjsonLine("{\"a\":1}\r\n  \r \r\n\t\n\n{\"b\":2}\n \r",
                                [&](size_t n, std::string_view line) {
                                  seen.emplace_back(n, std::string(line));
                                  return Status::Ok();
                                });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<size_t, std::string>{1, "{\"a\":1}"}));
  EXPECT_EQ(seen[1], (std::pair<size_t, std::string>{5, "{\"b\":2}"}));
}

}  // namespace
}  // namespace actledger::server
