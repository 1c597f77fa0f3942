// A keyed digest: base64url of HMAC-SHA256(secret, data), a stable name for
// `data` that nobody without the secret can link back to it. Anonymous
// contributions carry one as their pseudonym. Defined beside the token code,
// which signs with the same HMAC.
#pragma once

#include <string>
#include <string_view>

namespace roundtable::auth {

std::string keyed_digest(std::string_view secret, std::string_view data);

}  // namespace roundtable::auth
