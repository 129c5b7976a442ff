// Generated identifiers.
#ifndef ACTLEDGER_COMMON_ID_H_
#define ACTLEDGER_COMMON_ID_H_

#include <string>

namespace actledger {

// A new RFC 9562 UUIDv7 ("0192f6c1-7d3a-7c41-9e5b-3f2a1c0d4e5f"): 48 bits of
// Unix milliseconds, then random bits from the OS. Ids made later sort
// after ids made earlier (to the millisecond; within one process strictly).
// Thread-safe.
std::string NewUuidV7();

// `n` random bytes from the OS CSPRNG (getrandom). Aborts if the OS cannot
// provide randomness, which only happens on a broken system.
std::string RandomBytes(size_t n);

}  // namespace actledger

#endif  // ACTLEDGER_COMMON_ID_H_
