// One entry of an object's access control list, as aclexplode() reports it: GRANT privilege ON
// object TO grantee [WITH GRANT OPTION], granted by grantor. Large objects and databases carry
// their ACLs this way, by role name, so that they restore onto another server.
#pragma once

#include <string>

namespace dbb::pg {

struct Grant {
  std::string grantee;    // a role name; "" is PUBLIC
  std::string grantor;    // the role that granted it (the owner, or a holder of the grant option)
  std::string privilege;  // as GRANT spells it: SELECT, UPDATE, CONNECT, CREATE, TEMPORARY
  bool grantable = false;
  bool operator==(const Grant&) const = default;
};

}  // namespace dbb::pg
