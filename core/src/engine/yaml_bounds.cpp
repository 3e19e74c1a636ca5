#include "engine/yaml_bounds.hpp"

#include <algorithm>
#include <sstream>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include "engine/scenario_limits.hpp"
#include "engine/scenario_text.hpp"
#include "engine/yaml_util.hpp"

namespace roachrun::yaml {

namespace {

const std::string kDepthAdvice = " (limits::kMaxDepth); a scenario needs a handful: flatten this value";

std::string deeper_than() { return "nesting deeper than " + std::to_string(limits::kMaxDepth) + " levels"; }

// What one node amounts to once its aliases are expanded.
struct Extent {
  std::uint64_t nodes = 0;  // 0 while the node is being walked (so meeting it again is a cycle)
  int height = 0;           // levels, the node's own included
  bool aliased = false;     // an alias was expanded somewhere inside
};

// Error path only: a second, event-level parse that stops at the first node deeper than the
// limit or the first alias inside its own anchor, for the place yaml-cpp's node graph cannot
// tell (its DeepRecursion carries no useful mark; an alias shares its anchor's node and mark).
class Locator : public YAML::EventHandler {
 public:
  enum class Look { depth, cycle };
  explicit Locator(Look look) : look_(look) {}
  struct Found {};
  YAML::Mark mark;
  std::string alias;  // the alias's name when an alias was found

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { leaf(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { leaf(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    for (YAML::anchor_t a : open_)
      if (look_ == Look::cycle && a == anchor) {
        mark = m;
        alias = anchor <= names_.size() ? names_[anchor - 1] : "?";
        throw Found{};
      }
    leaf(m);
  }
  void OnAnchor(const YAML::Mark&, const std::string& name) override { names_.push_back(name); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    open(m, a);
  }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    open(m, a);
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapEnd() override { open_.pop_back(); }

 private:
  void leaf(const YAML::Mark& m) {
    if (look_ == Look::depth && open_.size() + 1 > static_cast<std::size_t>(limits::kMaxDepth)) mark = m, throw Found{};
  }
  void open(const YAML::Mark& m, YAML::anchor_t anchor) {
    leaf(m);
    open_.push_back(anchor);
  }
  Look look_;
  std::vector<YAML::anchor_t> open_;  // the collections being read, outermost first, by anchor (0: none)
  std::vector<std::string> names_;    // anchor n's name at n - 1 (yaml-cpp numbers them 1, 2, ...)
};

// Runs the Locator over `text`: true and the place if it found what it looks for.
bool locate(std::string_view text, Locator& locator) {
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(locator);
  } catch (const Locator::Found&) {
    return true;
  } catch (const YAML::Exception&) {
  }
  return false;
}

class Bounds {
 public:
  Bounds(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  Extent visit(const YAML::Node& node, int depth) {
    if (depth > limits::kMaxDepth) fail(node, deeper_than() + kDepthAdvice);
    // The address of the node's own data: the same for an anchored value and each of its aliases.
    const void* id = &node.Tag();
    auto [it, first] = seen_.try_emplace(id);
    // A reference to the element stays valid when the map rehashes (an iterator would not).
    Extent& slot = it->second;
    if (!first) {
      Extent e = slot;
      if (e.nodes == 0) fail_cycle(node);
      if (depth + e.height - 1 > limits::kMaxDepth)
        fail(node, deeper_than() + ": the value anchored here is used through an alias " + std::to_string(depth) +
                       " levels deep, and it nests " + std::to_string(e.height) + " levels itself" + kDepthAdvice);
      e.aliased = true;
      return e;
    }
    Extent e{1, 1, false};
    const auto add = [&](const YAML::Node& child) {
      const Extent c = visit(child, depth + 1);
      e.nodes += c.nodes;
      e.height = std::max(e.height, c.height + 1);
      e.aliased = e.aliased || c.aliased;
      if (e.nodes > limits::kMaxNodes) fail_too_many(node, e.aliased);
    };
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        reject_duplicate_keys(node);
        for (const auto& kv : node) {
          add(kv.first);
          add(kv.second);
          if (kv.second.IsNull() && kv.second.Mark().line != kv.first.Mark().line)
            document_.empty_values.emplace_back(kv.second, kv.first.Mark());
        }
        break;
      }
      case YAML::NodeType::Sequence:
        for (const auto& item : node) add(item);
        break;
      case YAML::NodeType::Scalar: check_scalar(node); break;
      default: break;
    }
    slot = e;
    return e;
  }

  Document document_;

 private:
  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    throw ValidationError(location(file_, at), message);
  }

  [[noreturn]] void fail_cycle(const YAML::Node& anchored) const {
    Locator locator(Locator::Look::cycle);
    std::string what = "an alias";
    if (locate(text_, locator) && !locator.alias.empty())
      what = "alias *" + locator.alias + " at " + std::to_string(locator.mark.line + 1) + ":" +
             std::to_string(locator.mark.column + 1);
    fail(anchored, what + " refers to the value that contains it (anchored here), which would make it endless; "
                          "refer to a value outside it, or write the value out");
  }

  [[noreturn]] void fail_too_many(const YAML::Node& at, bool aliased) const {
    const std::string limit = std::to_string(limits::kMaxNodes) + " nodes (limits::kMaxNodes)";
    if (aliased)
      fail(at, "aliases expand to more than " + limit +
                   ": this value, with each alias replaced by what it refers to, is bigger than any scenario needs; "
                   "use fewer aliases (or aliases of aliases)");
    fail(at, "more than " + limit + " in this value; a scenario this big is generated: split it into several");
  }

  void check_scalar(const YAML::Node& node) const {
    const std::string& s = node.Scalar();
    const std::size_t bad = first_bad_text_byte(s);
    if (bad == std::string_view::npos) return;
    // The file's own bytes were checked before parsing: an escape ("\0", "\x00") produced this.
    if (s[bad] == '\0')
      fail(node, "this value has a NUL character (offset " + std::to_string(bad) +
                     " in the value, written as an escape like \\0): a scenario's values cannot hold one; remove it");
    fail(node, "this value is not valid UTF-8 at offset " + std::to_string(bad) + " in the value; remove the escape "
               "that produces it");
  }

  // Once per mapping, not per use of an alias of it; before its values are walked, so the
  // first duplicate in the file is the one reported, at its second occurrence.
  void reject_duplicate_keys(const YAML::Node& map) const {
    std::vector<std::pair<std::string_view, YAML::Mark>> keys;  // in file order
    for (const auto& kv : map)
      if (kv.first.IsScalar()) keys.emplace_back(kv.first.Scalar(), kv.first.Mark());
    if (keys.size() < 2) return;
    std::vector<std::size_t> order(keys.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a].first < keys[b].first; });
    std::size_t second = keys.size(), first = 0;  // the earliest second occurrence, and its first
    for (std::size_t i = 1; i < order.size(); ++i)
      if (keys[order[i]].first == keys[order[i - 1]].first && order[i] < second &&
          (i < 2 || keys[order[i - 2]].first != keys[order[i]].first))
        second = order[i], first = order[i - 1];
    if (second == keys.size()) return;
    throw ValidationError(location(file_, keys[second].second),
                          "duplicate key '" + std::string(keys[second].first) + "' (first given at line " +
                              std::to_string(keys[first].second.line + 1) + "); remove one of them");
  }

  std::string_view text_;
  const std::string& file_;
  std::unordered_map<const void*, Extent> seen_;
};

}  // namespace

Document load_bounded(std::string_view text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own stop, at 500 levels, says "bad file" at no useful place.
    Locator locator(Locator::Look::depth);
    const YAML::Mark at = locate(text, locator) ? locator.mark : e.mark;
    throw ValidationError(location(file, at), deeper_than() + kDepthAdvice);
  } catch (const YAML::Exception& e) {
    throw ValidationError(location(file, e.mark), "invalid YAML: " + e.msg);
  }
  Bounds bounds(text, file);
  bounds.visit(root, 1);
  bounds.document_.root = root;
  return std::move(bounds.document_);
}

}  // namespace roachrun::yaml
