// Database privileges named in a scenario. They are keywords spliced into GRANT (a privilege
// cannot be a query parameter), so only known keywords get through.
#pragma once

#include <string>
#include <vector>

namespace roachrun_admin {

// Parses items such as "ALL", "connect, create" or "ALL PRIVILEGES" into upper-case keywords,
// without duplicates, in the order given. Throws roachrun::ParamError("privileges", ...) for an
// unknown keyword, an empty list, or ALL combined with other privileges.
std::vector<std::string> parse_privileges(const std::vector<std::string>& items);

// "CONNECT, CREATE"
std::string join_privileges(const std::vector<std::string>& privileges);

}  // namespace roachrun_admin
