// The step wrappers: what `roachrun plugins` shows, what validation rejects, and that a run with
// validated parameters reaches the certificate code and reports failures as StepError.
#include "step_types.hpp"

#include <string>

#include <gtest/gtest.h>

#include <roachrun/error.hpp>
#include <roachrun/step.hpp>
#include <roachrun/testing.hpp>

#include "pem_files.hpp"
#include "test_dir.hpp"

namespace roachrun_certs {
namespace {

namespace fs = std::filesystem;
using roachrun::ErrorKind;
using roachrun::ParamError;
using roachrun::Params;
using roachrun::ParamSpec;
using roachrun::ParamType;
using roachrun::PluginInfo;
using roachrun::StepError;
using roachrun::StepType;
using roachrun::Value;
using roachrun::testing::FakeStepContext;

const StepType& step_type(const PluginInfo& info, std::string_view name) {
  for (const auto& t : info.step_types) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no step type " + std::string(name));
}

const ParamSpec& param(const StepType& type, std::string_view name) {
  for (const auto& p : type.params) {
    if (p.name == name) return p;
  }
  throw std::runtime_error("no parameter " + std::string(name) + " in " + type.name);
}

// Parameters as the core hands them over after validation: every declared one present, with
// durations already in milliseconds.
Params params(Value v) {
  v.emplace("overwrite", false);
  v.emplace("key_size", 2048);
  return Params(std::move(v));
}

TEST(StepTypes, DeclareCockroachDefaults) {
  const PluginInfo info = describe();
  EXPECT_EQ(info.name, "certs");
  ASSERT_EQ(info.step_types.size(), 3u);

  const StepType& ca = step_type(info, "create_ca");
  const StepType& node = step_type(info, "create_node");
  const StepType& client = step_type(info, "create_client");
  for (const StepType* t : {&ca, &node, &client}) {
    EXPECT_TRUE(param(*t, "certs_dir").required) << t->name;
    EXPECT_TRUE(param(*t, "ca_key").required) << t->name;
    EXPECT_EQ(param(*t, "overwrite").default_value, false) << t->name;
    EXPECT_EQ(param(*t, "key_size").default_value, 2048) << t->name;
    EXPECT_EQ(param(*t, "key_size").min, 2048) << t->name;
    EXPECT_EQ(param(*t, "lifetime").type, ParamType::duration) << t->name;
    EXPECT_NE(param(*t, "key_size").doc.find("2048"), std::string::npos);
    EXPECT_TRUE(t->run && t->check) << t->name;
  }
  EXPECT_EQ(param(ca, "lifetime").default_value, "87600h");
  EXPECT_NE(param(ca, "lifetime").doc.find("10 years"), std::string::npos);
  EXPECT_EQ(param(node, "lifetime").default_value, "43800h");
  EXPECT_NE(param(node, "lifetime").doc.find("5 years"), std::string::npos);
  EXPECT_EQ(param(client, "lifetime").default_value, "43800h");
  EXPECT_EQ(param(node, "hosts").default_value, Value::array({"localhost", "127.0.0.1"}));
  EXPECT_TRUE(param(client, "user").required);
}

// The ParamError's param() is what the core uses to point at the line in the scenario.
template <typename Op>
std::string param_error_of(Op op) {
  try {
    op();
  } catch (const ParamError& e) {
    return e.param();
  }
  return "(no ParamError)";
}

TEST(StepTypes, CheckRejectsBadParametersBeforeAnythingRuns) {
  const PluginInfo info = describe();
  const auto& client_check = step_type(info, "create_client").check;
  const auto& node_check = step_type(info, "create_node").check;
  const Value base = {{"certs_dir", "certs"}, {"ca_key", "safe/ca.key"}, {"lifetime", 1000}};

  Value v = base;
  v["user"] = "max/roach";
  EXPECT_EQ(param_error_of([&] { client_check(params(v)); }), "user");
  v["user"] = "max roach";
  EXPECT_EQ(param_error_of([&] { client_check(params(v)); }), "user");
  v["user"] = "maxroach";
  EXPECT_NO_THROW(client_check(params(v)));
  v["lifetime"] = 0;
  EXPECT_EQ(param_error_of([&] { client_check(params(v)); }), "lifetime");
  v["lifetime"] = 1000;
  v["ca_key"] = "";
  EXPECT_EQ(param_error_of([&] { client_check(params(v)); }), "ca_key");

  Value n = base;
  n["hosts"] = Value::array();
  EXPECT_EQ(param_error_of([&] { node_check(params(n)); }), "hosts");
  n["hosts"] = Value::array({"localhost", "not a host"});
  EXPECT_EQ(param_error_of([&] { node_check(params(n)); }), "hosts");
  n["hosts"] = Value::array({"localhost", "::1", "10.0.0.7"});
  EXPECT_NO_THROW(node_check(params(n)));
}

TEST(StepTypes, RunCreatesTheTutorialLayoutAndReportsStepErrors) {
  testing::TempDir tmp;
  testing::ScopedCwd cwd(tmp.path());
  const PluginInfo info = describe();
  FakeStepContext ctx;
  const Value common = {{"certs_dir", "certs"}, {"ca_key", "my-safe-directory/ca.key"}};

  Value ca = common;
  ca["lifetime"] = std::int64_t{87600} * 3600 * 1000;
  step_type(info, "create_ca").run(ctx, params(ca));

  Value node = common;
  node["lifetime"] = std::int64_t{43800} * 3600 * 1000;
  node["hosts"] = Value::array({"localhost", "127.0.0.1"});
  step_type(info, "create_node").run(ctx, params(node));

  Value client = common;
  client["lifetime"] = std::int64_t{43800} * 3600 * 1000;
  client["user"] = "maxroach";
  step_type(info, "create_client").run(ctx, params(client));

  for (const char* f : {"certs/ca.crt", "my-safe-directory/ca.key", "certs/node.crt", "certs/node.key",
                        "certs/client.maxroach.crt", "certs/client.maxroach.key"}) {
    EXPECT_TRUE(fs::is_regular_file(f)) << f;
  }
  EXPECT_EQ(ctx.printed(), "") << "certificate steps print nothing to the scenario's output";
  EXPECT_NE(ctx.logged().find("info: created certs/ca.crt, my-safe-directory/ca.key\n"), std::string::npos)
      << ctx.logged();

  try {
    step_type(info, "create_node").run(ctx, params(node));
    ADD_FAILURE() << "no error";
  } catch (const StepError& e) {
    EXPECT_STREQ(e.what(), "certs/node.crt already exists; pass overwrite: true to replace it");
    EXPECT_EQ(e.kind(), ErrorKind::step);
  }
}

// What the core hands over for a step that gives only the required parameters: every absent
// one set to its ParamSpec's default_value as declared (the duration as its text, "87600h").
Params with_declared_defaults(const StepType& type, Value given) {
  for (const auto& spec : type.params) {
    if (!given.contains(spec.name)) given[spec.name] = spec.default_value;
  }
  return Params(std::move(given));
}

std::time_t seconds_left(const fs::path& cert_file) {
  auto certs = read_certificates(cert_file);
  struct tm tm {};
  EXPECT_EQ(ASN1_TIME_to_tm(X509_get0_notAfter(certs.front().get()), &tm), 1);
  return timegm(&tm) - std::time(nullptr);
}

TEST(StepTypes, DeclaredDefaultsGiveCockroachLifetimes) {
  testing::TempDir tmp;
  testing::ScopedCwd cwd(tmp.path());
  const PluginInfo info = describe();
  FakeStepContext ctx;
  const Value common = {{"certs_dir", "certs"}, {"ca_key", "my-safe-directory/ca.key"}};

  const StepType& ca = step_type(info, "create_ca");
  ca.check(with_declared_defaults(ca, common));
  ca.run(ctx, with_declared_defaults(ca, common));
  EXPECT_NEAR(static_cast<double>(seconds_left("certs/ca.crt")), 87600.0 * 3600, 5.0);

  Value client = common;
  client["user"] = "root";
  const StepType& cl = step_type(info, "create_client");
  cl.check(with_declared_defaults(cl, client));
  cl.run(ctx, with_declared_defaults(cl, client));
  EXPECT_NEAR(static_cast<double>(seconds_left("certs/client.root.crt")), 43800.0 * 3600, 5.0);
}

}  // namespace
}  // namespace roachrun_certs
