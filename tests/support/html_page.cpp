#include "support/html_page.hpp"

#include <fstream>
#include <sstream>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

namespace roachrun::test {

namespace {

std::string content(xmlNode* node) {
  xmlChar* c = xmlNodeGetContent(node);
  std::string out = c ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  return out;
}

std::string attribute(xmlNode* node, const char* name) {
  xmlChar* v = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  std::string out = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return out;
}

bool has_class(xmlNode* node, const std::string& cls) {
  const std::string classes = " " + attribute(node, "class") + " ";
  return classes.find(" " + cls + " ") != std::string::npos;
}

void walk(xmlNode* node, HtmlPage& page, std::map<std::string, std::string>* figures) {
  for (xmlNode* n = node; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    const std::string name = reinterpret_cast<const char*>(n->name);
    if (name == "script") ++page.scripts;
    if (name == "svg") ++page.svgs;
    if (name == "title" && page.title.empty()) page.title = content(n);
    if (has_class(n, "band")) ++page.bands;
    for (const char* a : {"src", "href"})
      if (xmlHasProp(n, reinterpret_cast<const xmlChar*>(a))) page.links.push_back(attribute(n, a));
    // Also xlink:href, the older SVG spelling.
    for (xmlAttr* a = n->properties; a; a = a->next)
      if (a->ns && std::string(reinterpret_cast<const char*>(a->name)) == "href")
        page.links.push_back(attribute(n, "href"));
    std::map<std::string, std::string>* here = figures;
    if (name == "section" && has_class(n, "charted")) {
      page.figures.emplace_back();
      here = &page.figures.back();
    }
    if (here && xmlHasProp(n, reinterpret_cast<const xmlChar*>("data-field")))
      (*here)[attribute(n, "data-field")] = content(n);
    walk(n->children, page, here);
  }
}

void collect_error(void* context, xmlErrorPtr error) {
  auto* errors = static_cast<std::vector<std::string>*>(context);
  std::string message = error && error->message ? error->message : "unknown error";
  while (!message.empty() && message.back() == '\n') message.pop_back();
  errors->push_back("line " + std::to_string(error ? error->line : 0) + ": " + message);
}

}  // namespace

HtmlPage read_html_page(const std::string& markup) {
  HtmlPage page;
  xmlParserCtxtPtr ctx = xmlNewParserCtxt();
  // libxml2 2.9 (Debian 12) has only the thread's structured handler; set for this parse alone.
  xmlSetStructuredErrorFunc(&page.errors, collect_error);
  xmlDocPtr doc = xmlCtxtReadMemory(ctx, markup.data(), static_cast<int>(markup.size()), "report.html", "UTF-8",
                                    XML_PARSE_NONET | XML_PARSE_NOENT);
  if (!doc) {
    if (page.errors.empty()) page.errors.push_back("not well-formed");
  } else {
    xmlNode* root = xmlDocGetRootElement(doc);
    walk(root, page, nullptr);
    page.text = content(root);
    xmlFreeDoc(doc);
  }
  xmlFreeParserCtxt(ctx);
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  return page;
}

HtmlPage read_html_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    HtmlPage page;
    page.errors.push_back("cannot read " + path);
    return page;
  }
  return read_html_page(text.str());
}

}  // namespace roachrun::test
