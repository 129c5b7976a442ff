// Hex and base64 (RFC 4648, padded) encoding.
#ifndef ACTLEDGER_COMMON_ENCODING_H_
#define ACTLEDGER_COMMON_ENCODING_H_

#include <string>
#include <string_view>

#include "actledger/status.h"

namespace actledger {

// Lowercase hex.
std::string HexEncode(std::string_view bytes);
// Accepts upper and lower case; kInvalidArgument on odd length or non-hex.
Result<std::string> HexDecode(std::string_view hex);

// Standard alphabet with '=' padding.
std::string Base64Encode(std::string_view bytes);
// Strict: standard alphabet, correct padding, no white space; otherwise
// kInvalidArgument.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace actledger

#endif  // ACTLEDGER_COMMON_ENCODING_H_
