// The admin plugin: the tutorial's "create the maxroach user and bank database", made idempotent
// and portable between CockroachDB and PostgreSQL.
#include <roachrun/plugin.hpp>

#include "steps.hpp"

namespace {

roachrun::PluginInfo describe() {
  return {"admin",
          "Create users and databases and grant privileges (idempotent, CockroachDB and PostgreSQL)",
          {roachrun_admin::create_user_step(), roachrun_admin::create_database_step(), roachrun_admin::grant_step()}};
}

}  // namespace

ROACHRUN_PLUGIN(describe)
