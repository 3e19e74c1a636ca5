// The `hello` plugin: one step type, hello.greet {who}, that asks the database to greet someone.
#include <ostream>

#include <roachrun/roachrun.hpp>

namespace {

void greet(roachrun::StepContext& ctx, const roachrun::Params& params) {
  // Values travel as query parameters ($1), never spliced into the SQL text.
  roachrun::Result r = ctx.connection().query("SELECT 'Hello, ' || $1::text || '!'", params.string("who"));
  ctx.out() << r.text(0, 0) << "\n";  // stdout: what the scenario prints
}

roachrun::PluginInfo describe() {
  roachrun::ParamSpec who;
  who.name = "who";
  who.type = roachrun::ParamType::string;
  who.default_value = "world";
  who.doc = "whom to greet";

  roachrun::StepType step;
  step.name = "greet";
  step.doc = "Prints a greeting the database composed";
  step.params = {who};
  step.run = greet;
  return {"hello", "Says hello through the database", {step}};
}

}  // namespace

ROACHRUN_PLUGIN(describe)
