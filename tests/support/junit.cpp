#include "support/junit.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <stdexcept>
#include <string_view>

namespace roachrun::test {

namespace {

struct FreeDoc {
  void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};

bool is(const xmlNode* n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && name == reinterpret_cast<const char*>(n->name);
}

std::string attr(const xmlNode* n, const char* name, bool required = true) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!v) {
    if (required)
      throw std::runtime_error(std::string("<") + reinterpret_cast<const char*>(n->name) + "> has no " + name);
    return {};
  }
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

int int_attr(const xmlNode* n, const char* name) {
  const std::string s = attr(n, name);
  std::size_t used = 0;
  int v = std::stoi(s, &used);
  if (used != s.size() || v < 0) throw std::runtime_error(std::string("bad count ") + name + "=\"" + s + "\"");
  return v;
}

std::string text(const xmlNode* n) {
  xmlChar* c = xmlNodeGetContent(n);
  std::string s = c ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  return s;
}

void check_counts(const std::string& what, int tests, int failures, int errors, int skipped, int want_tests,
                  int want_failures, int want_errors, int want_skipped) {
  if (tests != want_tests || failures != want_failures || errors != want_errors || skipped != want_skipped)
    throw std::runtime_error(what + ": counts tests/failures/errors/skipped " + std::to_string(tests) + "/" +
                             std::to_string(failures) + "/" + std::to_string(errors) + "/" + std::to_string(skipped) +
                             " but its testcases are " + std::to_string(want_tests) + "/" +
                             std::to_string(want_failures) + "/" + std::to_string(want_errors) + "/" +
                             std::to_string(want_skipped));
}

}  // namespace

JUnitReport read_junit(const std::string& path) {
  std::unique_ptr<xmlDoc, FreeDoc> doc(xmlReadFile(path.c_str(), nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) throw std::runtime_error(path + ": not well-formed XML");
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !is(root, "testsuites")) throw std::runtime_error(path + ": the root element is not <testsuites>");
  JUnitReport report;
  report.tests = int_attr(root, "tests");
  report.failures = int_attr(root, "failures");
  report.errors = int_attr(root, "errors");
  report.skipped = int_attr(root, "skipped");
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  for (const xmlNode* s = root->children; s; s = s->next) {
    if (s->type != XML_ELEMENT_NODE) continue;
    if (!is(s, "testsuite")) throw std::runtime_error(path + ": unexpected element in <testsuites>");
    JUnitSuite suite;
    suite.name = attr(s, "name");
    suite.tests = int_attr(s, "tests");
    suite.failures = int_attr(s, "failures");
    suite.errors = int_attr(s, "errors");
    suite.skipped = int_attr(s, "skipped");
    std::stod(attr(s, "time"));
    int f = 0, e = 0, k = 0;
    for (const xmlNode* c = s->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      if (!is(c, "testcase")) throw std::runtime_error(path + ": unexpected element in <testsuite>");
      JUnitCase tc;
      tc.classname = attr(c, "classname");
      tc.name = attr(c, "name");
      tc.time = std::stod(attr(c, "time"));
      tc.status = "passed";
      for (const xmlNode* r = c->children; r; r = r->next) {
        if (r->type != XML_ELEMENT_NODE || is(r, "properties") || is(r, "system-out") || is(r, "system-err")) continue;
        if (tc.status != "passed") throw std::runtime_error(path + ": a testcase with two results");
        if (is(r, "failure") || is(r, "error")) {
          tc.status = reinterpret_cast<const char*>(r->name);
          tc.type = attr(r, "type");
          tc.message = attr(r, "message");
          tc.text = text(r);
        } else if (is(r, "skipped")) {
          tc.status = "skipped";
          tc.message = attr(r, "message", false);
        } else {
          throw std::runtime_error(path + ": unexpected element in <testcase>");
        }
      }
      f += tc.status == "failure";
      e += tc.status == "error";
      k += tc.status == "skipped";
      suite.cases.push_back(std::move(tc));
    }
    check_counts(path + ": testsuite " + suite.name, suite.tests, suite.failures, suite.errors, suite.skipped,
                 static_cast<int>(suite.cases.size()), f, e, k);
    tests += suite.tests;
    failures += f;
    errors += e;
    skipped += k;
    report.suites.push_back(std::move(suite));
  }
  check_counts(path + ": testsuites", report.tests, report.failures, report.errors, report.skipped, tests, failures,
               errors, skipped);
  return report;
}

}  // namespace roachrun::test
