#include "engine/cli.hpp"

#include <chrono>
#include <iostream>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "engine/caught_error.hpp"
#include "engine/exit_status.hpp"
#include "engine/logging.hpp"
#include "engine/plugin_registry.hpp"
#include "engine/redact.hpp"
#include "engine/report.hpp"
#include "engine/runner.hpp"
#include "engine/scenario_loader.hpp"
#include "engine/scenario_schema.hpp"
#include "engine/scenario_validator.hpp"
#include "engine/signals.hpp"
#include "engine/step_details_check.hpp"
#include "engine/step_selection.hpp"
#include "engine/target.hpp"
#include "roachrun/sdk_version.hpp"

namespace roachrun {

namespace {

struct Options {
  std::string log_level = "info";
  bool quiet = false;
  std::vector<std::string> plugin_dirs;
  std::vector<std::string> files;
  std::string target;
  std::vector<std::string> sets;
  std::vector<std::string> reports;
  std::vector<ReportSpec> report_specs;
  StepSelection selection;
  bool dry_run = false;
  bool progress = false;
};

VarTable parse_sets(const std::vector<std::string>& sets) {
  VarTable vars;
  for (const auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--set expects NAME=VALUE, got '" + s + "'");
    vars[s.substr(0, eq)] = s.substr(eq + 1);
  }
  return vars;
}

void report_problems(const PluginRegistry& registry, spdlog::logger& log) {
  for (const auto& p : registry.problems()) log.warn("plugin {}: {}", p.path.string(), p.reason);
}

PluginRegistry& load_plugins(PluginRegistry& registry, const Options& options, spdlog::logger& log) {
  for (const auto& dir : plugin_search_path(options.plugin_dirs)) {
    log.debug("looking for plugins in {}", dir.string());
    registry.load_directory(dir);
  }
  return registry;
}

// Loads and checks every file before anything runs; prints every problem of every file.
// `invalid` (if given) gets each invalid file with its problems, for the reports.
std::vector<ScenarioPlan> plan_all(const Options& options, const PluginRegistry& registry,
                                   std::vector<InvalidFile>* invalid = nullptr) {
  const VarTable sets = parse_sets(options.sets);
  std::vector<ScenarioPlan> plans;
  std::vector<std::string> problems;
  for (const auto& file : options.files) {
    InvalidFile bad{file, {}};
    try {
      Scenario scenario = load_scenario_file(file, sets);
      scenario.target = with_target_option(scenario.target, options.target);  // validated as it will run
      plans.push_back(plan_scenario(std::move(scenario), registry));
      redactor().add_scenario(plans.back().scenario);
    } catch (const ScenarioInvalid& e) {
      for (const auto& err : e.errors()) bad.messages.push_back(err.what());
    } catch (const ValidationError& e) {
      bad.messages.push_back(e.what());
    }
    problems.insert(problems.end(), bad.messages.begin(), bad.messages.end());
    if (invalid && !bad.messages.empty()) invalid->push_back(std::move(bad));
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p;
    throw ValidationError(SourceLocation{}, all);
  }
  return plans;
}

// Steps that need the local target (step details) on a URL target: checked once the selection
// is applied, since a step --skip leaves out does not run. Throws like plan_all.
void check_local_target(const std::vector<ScenarioPlan>& plans, std::vector<InvalidFile>* invalid = nullptr) {
  std::string all;
  for (const auto& plan : plans) {
    InvalidFile bad{plan.scenario.file, {}};
    for (const auto& err : local_target_errors(plan)) bad.messages.push_back(err.what());
    for (const auto& m : bad.messages) all += (all.empty() ? "" : "\n") + m;
    if (invalid && !bad.messages.empty()) invalid->push_back(std::move(bad));
  }
  if (!all.empty()) throw ValidationError(SourceLocation{}, all);
}

// The target as plans show it: "local", "local, 3 nodes", or the URL with known secrets masked.
std::string target_text(const TargetDef& target) {
  if (target.url == "local" && target.nodes > 1) return "local, " + std::to_string(target.nodes) + " nodes";
  return redactor().redact(target.url);
}

ExitCode command_validate(const Options& options, spdlog::logger& log) {
  PluginRegistry registry;
  load_plugins(registry, options, log);
  report_problems(registry, log);
  auto plans = plan_all(options, registry);
  check_local_target(plans);
  for (const auto& plan : plans)
    log.info("{}: valid ({} steps), target {}", plan.scenario.file, plan.steps.size(), target_text(plan.scenario.target));
  return kExitOk;
}

// --dry-run: the steps as they would run, variables substituted, parameters as JSON. Known
// secrets are masked here as everywhere.
void print_plan(const ScenarioPlan& plan, const TargetDef& target) {
  const Redactor& redact = redactor();
  std::cout << "scenario " << plan.scenario.name << " (" << plan.scenario.file << ") on " << target_text(target)
            << "\n";
  int block = 0;
  std::string branch;
  for (const auto& step : plan.steps) {
    // A parallel block's branches, each under its name: they run at the same time.
    std::string indent = "  ";
    if (step.def->block != 0) {
      const ParallelBlock& def = plan.scenario.blocks[static_cast<std::size_t>(step.def->block - 1)];
      if (step.def->block != block)
        std::cout << "  parallel '" << def.name << "' (" << def.branches.size()
                  << " branches at the same time, joined before the next step):\n";
      if (step.def->block != block || step.def->branch != branch) std::cout << "    branch " << step.def->branch << ":\n";
      indent = "      ";
    }
    block = step.def->block;
    branch = step.def->branch;
    std::cout << indent << step.def->number << ". " << step.def->name << ": ";
    if (!step.skip_reason.empty()) {
      std::cout << "skipped (" << step.skip_reason << ")\n";
      continue;
    }
    std::cout << step.def->type << " "
              << redact.redact(step.params.all().dump(-1, ' ', false, Value::error_handler_t::replace))
              << " on connection " << step.def->connection;
    for (const auto& c : step.def->captures)
      std::cout << (&c == &step.def->captures.front() ? ", captures " : ", ") << c.name
                << (c.path.empty() ? "" : " = " + c.path);
    std::cout << "\n";
  }
}

ExitCode command_run(const Options& options, spdlog::logger& log, RunRecord& record) {
  Interrupts& interrupts = Interrupts::install();
  with_target_option(TargetDef{}, options.target);  // a bad --target local:N is bad usage before anything loads
  PluginRegistry registry;
  load_plugins(registry, options, log);
  report_problems(registry, log);
  auto plans = plan_all(options, registry, &record.invalid);
  for (auto& plan : plans) {
    apply_selection(plan, options.selection);
    if (!options.selection.from.empty())
      for (const auto& step : plan.steps)
        if (step.skip_reason.rfind("before --from", 0) == 0)
          log.info("{}: step {} ({}) skipped: before --from {}", plan.scenario.file, step.def->number, step.def->name,
                   options.selection.from);
  }
  check_local_target(plans, &record.invalid);

  if (options.dry_run) {
    for (const auto& plan : plans) {
      print_plan(plan, with_target_option(plan.scenario.target, options.target));
      record.scenarios.push_back(not_run(plan, "dry run"));
    }
    log.info("dry run: {} scenario(s) valid; nothing was run", plans.size());
    return kExitOk;
  }

  // Every scenario is in the record from the start, so a run that stops early still reports the
  // ones it never reached.
  for (const auto& plan : plans) {
    record.scenarios.push_back(not_run(plan, "not run: an earlier scenario failed"));
    record.scenarios.back().target = redact_url(with_target_option(plan.scenario.target, options.target).url);
  }

  // Scenarios that name the same target share it: one local server per run, not per file.
  std::vector<std::pair<std::string, std::unique_ptr<Target>>> targets;
  // Live progress when asked for, or when a person is watching stderr (and did not ask for -q).
  const bool progress = options.progress || (!options.quiet && isatty(STDERR_FILENO) == 1);
  Runner runner(log, std::cout, interrupts, progress);
  for (std::size_t i = 0; i < plans.size(); ++i) {
    auto& plan = plans[i];
    const TargetDef def = with_target_option(plan.scenario.target, options.target);
    std::string key = def.url + "|nodes|" + std::to_string(def.nodes) +
                      (def.secure ? "|secure|" + def.certs_dir + "|" + def.ca_key : "");
    Target* target = nullptr;
    for (auto& [k, t] : targets)
      if (k == key) target = t.get();
    if (!target) {
      targets.emplace_back(key, open_target(def, log, &registry));
      target = targets.back().second.get();
    }
    if (interrupts.flag()) throw Interrupted();
    record.scenarios[i] = runner.run(plan, *target);
    record.scenarios[i].target = target->describe();  // a local server now with its address
    if (record.scenarios[i].exit_code != kExitOk) return record.scenarios[i].exit_code;
  }
  return kExitOk;
}

void print_param(const ParamSpec& p, const std::vector<std::string>* choices) {
  std::string info = std::string(to_string(p.type));
  if (choices) {
    info += ": ";
    for (size_t i = 0; i < choices->size(); ++i) info += (i ? "|" : "") + (*choices)[i];
  }
  if (p.required) info += ", required";
  else if (!p.default_value.is_null()) info += ", default " + p.default_value.dump();
  if (p.min) info += ", min " + std::to_string(*p.min);
  if (p.max) info += ", max " + std::to_string(*p.max);
  std::cout << "      " << p.name << " (" << info << ")" << (p.doc.empty() ? "" : ": " + p.doc) << "\n";
}

ExitCode command_plugins(const Options& options, spdlog::logger& log) {
  PluginRegistry registry;
  load_plugins(registry, options, log);
  for (const auto& plugin : registry.plugins()) {
    std::cout << plugin.name << " - " << plugin.doc << "\n  (" << plugin.path.string() << ")\n";
    for (const auto& step : plugin.steps) {
      std::cout << "  " << step->full_name << " - " << step->type.doc
                << (step->details.needs_local_target ? " (needs the local target)" : "") << "\n";
      for (const auto& p : step->type.params) print_param(p, step->choices(p.name));
    }
    std::cout << "\n";
  }
  if (registry.plugins().empty()) {
    std::cout << "no plugins found; searched:\n";
    for (const auto& dir : registry.searched()) std::cout << "  " << dir.string() << "\n";
  }
  for (const auto& p : registry.problems())
    std::cout << "not loaded: " << p.path.string() << ": " << p.reason << "\n";
  return registry.problems().empty() ? kExitOk : exit_code_for(ErrorKind::plugin);
}

// A schema without a broken plugin's steps would call its steps misspelt: refuse to print one,
// naming each library as `roachrun plugins` does.
ExitCode command_schema(const Options& options, spdlog::logger& log) {
  PluginRegistry registry;
  load_plugins(registry, options, log);
  const bool none = registry.plugins().empty();  // loads them all: their problems are known then
  if (!registry.problems().empty()) {
    for (const auto& p : registry.problems()) std::cerr << "not loaded: " << p.path.string() << ": " << p.reason << "\n";
    std::cerr << "roachrun schema: " << registry.problems().size()
              << " plugin librar" << (registry.problems().size() == 1 ? "y" : "ies")
              << " did not load; fix or remove them (see `roachrun plugins`), or point --plugin-dir elsewhere\n";
    return exit_code_for(ErrorKind::plugin);
  }
  if (none) {
    std::cerr << "roachrun schema: no plugins found; searched:";
    for (const auto& dir : registry.searched()) std::cerr << " " << dir.string();
    std::cerr << "\n";
    return exit_code_for(ErrorKind::plugin);
  }
  std::cout << scenario_schema(registry).dump(2) << "\n";
  return kExitOk;
}

}  // namespace

int cli_main(int argc, char** argv) {
  Options options;
  CLI::App app{"roachrun: runs database tutorials as YAML scenarios, one step at a time, through plugins", "roachrun"};
  app.set_version_flag("--version", std::string("roachrun ") + ROACHRUN_VERSION + " (plugin SDK " +
                                        std::to_string(ROACHRUN_SDK_VERSION_MAJOR) + "." +
                                        std::to_string(ROACHRUN_SDK_VERSION_MINOR) + ")");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off (stderr)")
      ->capture_default_str();
  app.add_flag("-q,--quiet", options.quiet, "only errors on stderr");
  app.add_option("--plugin-dir", options.plugin_dirs, "load plugins from this directory first (repeatable)");

  auto* run = app.add_subcommand("run", "run scenario files, in order");
  // No CLI::ExistingFile: the loader says what is wrong with a path (a symlink loop, a FIFO, a
  // directory), where CLI11 would say "File does not exist".
  run->add_option("files", options.files, "scenario files")->required();
  run->add_option("--target", options.target,
                  "'local', 'local:N' (N nodes: a pg_auto_failover formation) or a URL; overrides the scenarios' target:");
  run->add_option("--set", options.sets, "NAME=VALUE: set a scenario variable (repeatable)");
  run->add_option("--report", options.reports, "junit=FILE, json=FILE or html=FILE: write a report, also on failure (repeatable)");
  run->add_option("--only", options.selection.only, "NAME|INDEX: run only this step (repeatable)");
  run->add_option("--skip", options.selection.skip, "NAME|INDEX|PLUGIN: leave this step out (repeatable)");
  run->add_option("--from", options.selection.from, "NAME|INDEX: skip the steps before this one");
  run->add_flag("--progress", options.progress,
                "show long steps' progress on stderr every second (default: when stderr is a terminal)");
  run->add_flag("--dry-run", options.dry_run,
                "validate and print the steps as they would run; touch no database");

  auto* validate = app.add_subcommand("validate", "check scenario files fully without touching a database");
  validate->add_option("files", options.files, "scenario files")->required();
  validate->add_option("--set", options.sets, "NAME=VALUE: set a scenario variable (repeatable)");
  validate->add_option("--target", options.target, "check the scenarios as `run --target` would run them");

  app.add_subcommand("plugins", "list plugins, their step types and parameters");
  auto* schema = app.add_subcommand("schema", "print a JSON Schema of scenario files for editors, from the loaded plugins");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help/version to stdout, errors to stderr
    return code == 0 ? kExitOk : exit_code_for(ErrorKind::usage);
  }

  std::shared_ptr<spdlog::logger> log;
  try {
    log = make_stderr_logger(options.quiet ? "error" : options.log_level);
  } catch (const Error& e) {
    std::cerr << "roachrun: " << e.what() << "\n";
    return exit_code_for(e.kind());
  }

  // Library code without a logger of its own (libpq notices) logs through the default one.
  spdlog::set_default_logger(log);
  // Known before anything can print it.
  redactor().add_conninfo(options.target);

  RunRecord record;
  const auto start = std::chrono::steady_clock::now();
  const ExitCode code = [&]() -> ExitCode {
    try {
      for (const auto& spec : options.reports) options.report_specs.push_back(parse_report_spec(spec));
      if (run->parsed()) return command_run(options, *log, record);
      if (validate->parsed()) return command_validate(options, *log);
      if (schema->parsed()) return command_schema(options, *log);
      return command_plugins(options, *log);
    } catch (const ValidationError& e) {
      std::cerr << redactor().redact(e.message()) << "\n";
      return exit_code_for(e.kind());
    } catch (const Error& e) {
      log->error("{}", e.what());
      if (record.invalid.empty()) record.error = redactor().redact(e.what());
      return exit_code_for(e.kind());
    } catch (...) {
      // A bug in roachrun (steps catch their own): still unwinds, so the local server is removed
      // and the reports are written.
      const CaughtError caught = describe_current_exception();
      const std::string message = redactor().redact("internal error: " + unexpected_exception_text(caught, "in roachrun"));
      log->critical("{}", message);
      record.error = message;
      return exit_code_for(ErrorKind::internal);
    }
  }();
  if (!run->parsed() || options.report_specs.empty()) return code;
  record.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  record.exit_code = code;
  return exit_code_with_reports(code, write_reports(options.report_specs, record, *log));
}

}  // namespace roachrun
