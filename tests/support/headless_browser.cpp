#include "support/headless_browser.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/command.hpp"
#include "support/temp_dir.hpp"

namespace roachrun::test {
namespace {

// The browser itself. /usr/bin/chromium is Debian's shell wrapper around it: it sources
// /etc/chromium.d/* and so adds flags of its own (remote extensions, --load-extension, GPU
// rasterization) and, on some machines, shell errors on stderr (its /dev/shm check). Started
// directly, Chromium gets exactly the flags below.
const char* const kChromium = "/usr/lib/chromium/chromium";

// What Chromium 156 (Debian 12) prints with --enable-logging=stderr, found by trying it: every
// console message of a web page, whatever its level, is one INFO record on stderr (Chromium
// passes the level through only for its own pages), written by the browser process:
//   console.error("x")           [4306:4306:1202/065739.530276:INFO:CONSOLE:1] "x", source: file:///tmp/hb/err.html (1)
//   console.log / console.warn   the same shape: "just-a-log", "a-warning"
//   throw new Error("bang")      [4490:4490:1202/065745.242317:INFO:CONSOLE:1] "Uncaught Error: bang", source: file:///tmp/hb/throw.html (1)
//   Promise.reject(new Error("nope"))  ... "Uncaught (in promise) Error: nope", source: ...
//   a message with a newline     continues on the next stderr line, up to `", source: URL (LINE)`
//   <img src="missing.png">      nothing at all (DevTools' "Failed to load resource" exists only
//                                with DevTools attached)
// The rest of stderr is Chromium's own noise (ERROR:dbus/bus.cc "Failed to connect to the bus",
// WARNING:media/gpu/vaapi, "InitializeSandbox() called with multiple threads in process
// gpu-process", ...), none of it a CONSOLE record. So uncaught exceptions are recognised by
// Chromium's "Uncaught" prefix, and for what the log cannot tell (console.error from console.log,
// failed loads) the page gets the probe below, which reports those as console.log records with a
// marker of its own.
const std::string kMarker = "roachrun-probe: ";
const std::string kReady = "roachrun-probe-ready";

// On one line, so the page's line numbers stay as they are. Errors of elements do not bubble
// but reach a capturing listener on window; those of scripts (ErrorEvent, target window) are
// Chromium's "Uncaught" records already.
const char* const kProbe =
    "<script>(function(){"
    "var tag=\"roachrun-probe: \",log=console.log.bind(console),assert=console.assert;"
    "function text(v){if(typeof v===\"string\"||v instanceof Error)return String(v);"
    "try{var s=JSON.stringify(v);return s===undefined?String(v):s}catch(e){return String(v)}}"
    "function all(a,from){return Array.prototype.slice.call(a,from).map(text).join(\" \")}"
    "function url(u){try{return new URL(u,document.baseURI).href}catch(e){return String(u)}}"
    "console.error=function(){log(tag+\"console.error: \"+all(arguments,0))};"
    "console.assert=function(c){if(!c)log(tag+\"console.assert failed: \"+all(arguments,1))};"
    "window.addEventListener(\"error\",function(e){var t=e.target;if(t&&t.nodeType===1)"
    "log(tag+\"failed to load <\"+t.localName+\"> \"+url(t.getAttribute(\"src\")||t.getAttribute(\"href\")||"
    "t.getAttribute(\"xlink:href\")||t.getAttribute(\"data\")||\"\"))},true);"
    "document.addEventListener(\"securitypolicyviolation\",function(e){"
    "log(tag+\"blocked by Content-Security-Policy \"+e.violatedDirective+\": \"+e.blockedURI)});"
    "log(\"roachrun-probe-ready\")})();</script>";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// `html` with the probe added before any of the page's scripts can run: after a leading
// <!doctype> (before it the page would render in quirks mode), or after a <meta charset> in
// the first 1024 bytes (that is where Chromium looks for it; the probe must not push it out).
std::string with_probe(const std::string& html) {
  const size_t bom = html.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  size_t at = bom;
  const std::string head = lower(html.substr(0, 1024));
  const size_t first = head.find_first_not_of(" \t\r\n\f", bom);
  if (first != std::string::npos && head.compare(first, 9, "<!doctype") == 0) {
    if (const size_t end = html.find('>', first); end != std::string::npos) at = end + 1;
  }
  for (size_t meta = head.find("<meta"); meta != std::string::npos; meta = head.find("<meta", meta + 1)) {
    const size_t end = head.find('>', meta);
    if (end == std::string::npos) break;
    if (head.substr(meta, end - meta).find("charset") != std::string::npos) {
      at = std::max(at, end + 1);
      break;
    }
  }
  return html.substr(0, at) + kProbe + html.substr(at);
}

// A file: URL's path part as Chromium writes it (bytes outside a safe set escaped).
std::string url_path(const std::string& path) {
  static const std::string safe = "/-._~!$&'()*+,;=:@";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || safe.find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

struct ConsoleRecord {
  std::string message, source, line;
};

bool starts_log_record(const std::string& line) {
  return line.size() > 2 && line[0] == '[' && std::isdigit(static_cast<unsigned char>(line[1])) &&
         line.find("] ") != std::string::npos;
}

// Where the `"message", source: ...` part of a CONSOLE record starts, or npos.
size_t console_body(const std::string& line) {
  if (!starts_log_record(line)) return std::string::npos;
  const size_t close = line.find("] ");
  const size_t tag = line.find(":CONSOLE");
  if (tag == std::string::npos || tag > close || line.compare(close + 2, 1, "\"") != 0) return std::string::npos;
  return close + 2;
}

// `"message", source: URL (LINE)` into its parts; false while the record is not complete.
bool split_body(const std::string& body, ConsoleRecord& record) {
  static const std::string source = "\", source: ";
  if (body.size() < 2 || body.back() != ')') return false;
  const size_t at = body.rfind(source);
  const size_t paren = body.rfind(" (");
  if (at == std::string::npos || at == 0 || paren == std::string::npos || paren < at + source.size()) return false;
  record.message = body.substr(1, at - 1);
  record.source = body.substr(at + source.size(), paren - at - source.size());
  record.line = body.substr(paren + 2, body.size() - paren - 3);
  return true;
}

// The CONSOLE records in Chromium's stderr, those of several lines joined with "\n". One that
// never gets its `source:` (cut off by another record) is kept as far as it goes, with source
// "?": an error in it must not go unseen.
std::vector<ConsoleRecord> console_records(const std::string& err) {
  std::vector<ConsoleRecord> records;
  std::istringstream in(err);
  std::string line, body;
  bool open = false;
  auto keep_unterminated = [&] { records.push_back({body.substr(1), "?", "?"}); };
  while (std::getline(in, line)) {
    if (open && starts_log_record(line)) {
      keep_unterminated();
      open = false;
    }
    if (!open) {
      const size_t start = console_body(line);
      if (start == std::string::npos) continue;
      body = line.substr(start);
      open = true;
    } else {
      body += "\n" + line;
    }
    ConsoleRecord record;
    if (split_body(body, record)) {
      records.push_back(std::move(record));
      open = false;
    }
  }
  if (open) keep_unterminated();
  return records;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); !from.empty() && at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

bool read_png_header(const std::string& path, BrowserRender& r) {
  std::ifstream in(path, std::ios::binary);
  unsigned char h[24] = {};
  if (!in.read(reinterpret_cast<char*>(h), sizeof h)) return false;
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (!std::equal(signature, signature + 8, h)) return false;
  auto be32 = [&](int at) { return static_cast<int>((h[at] << 24) | (h[at + 1] << 16) | (h[at + 2] << 8) | h[at + 3]); };
  r.png_width = be32(16);  // IHDR, the first chunk: width, height
  r.png_height = be32(20);
  return true;
}

}  // namespace

bool chromium_available() { return access(kChromium, X_OK) == 0; }

BrowserRender render_in_chromium(const std::string& html_path, const std::string& png_path, int width, int height,
                                 std::chrono::seconds limit) {
  namespace fs = std::filesystem;
  BrowserRender r;
  if (!chromium_available()) {
    r.log = std::string("no Chromium at ") + kChromium + " (scripts/bootstrap.sh --tests installs it)";
    return r;
  }
  std::error_code ec;
  const fs::path page = fs::absolute(html_path, ec);
  if (ec || !fs::is_regular_file(page, ec)) {
    r.log = "no such file: " + html_path;  // Chromium would screenshot its error page
    return r;
  }
  const fs::path png = fs::absolute(png_path);
  fs::remove(png, ec);  // a stale screenshot must not pass for this one

  // The copy with the probe, beside the page: a unique name, so renders of one page may run at once.
  std::string copy_name = (page.parent_path() / ("." + page.filename().string() + ".render-XXXXXX.html")).string();
  const int fd = mkstemps(copy_name.data(), 5);
  if (fd < 0) {
    r.log = "cannot write a copy of the page beside it: " + copy_name;
    return r;
  }
  close(fd);
  struct RemoveCopy {
    fs::path path;
    ~RemoveCopy() {
      std::error_code ignored;
      fs::remove(path, ignored);
    }
  } remove_copy{copy_name};
  std::ofstream(copy_name, std::ios::binary | std::ios::trunc) << with_probe(read_file(page));

  // Chromium's profile, and its home: it writes "Crash Reports" under ~/.config/chromium and
  // dconf's cache under ~/.cache even with --user-data-dir.
  TempDir scratch;
  const std::string home = scratch.path().string();
  const std::vector<std::string> args = {
      "--headless",  // the only headless mode of Chromium >= 132 (the old one is chrome-headless-shell's now)
      // Its sandbox refuses to start as root, and elsewhere needs unprivileged user namespaces
      // that containers often lack; the page is a local file of our own, with no network.
      "--no-sandbox",
      "--user-data-dir=" + home + "/profile",
      "--no-first-run", "--no-default-browser-check", "--disable-breakpad", "--disable-crash-reporter",
      // No network: every host name fails to resolve, and what would connect goes to a proxy
      // on the discard port, which refuses. Nor Chromium's own background traffic.
      "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
      // Shared memory under /tmp: a container's /dev/shm (64 MB in Docker) is too small for the
      // screenshot of a tall page.
      "--disable-dev-shm-usage",
      // The screenshot: the window, `width` x `height` CSS pixels, one device pixel each.
      "--hide-scrollbars", "--force-device-scale-factor=1",
      "--window-size=" + std::to_string(width) + "," + std::to_string(height), "--screenshot=" + png.string(),
      // The page's console messages to stderr (the records above).
      "--enable-logging=stderr", "--v=0",
      "file://" + url_path(copy_name)};
  const std::map<std::string, std::string> env = {
      {"HOME", home}, {"XDG_CONFIG_HOME", home + "/config"}, {"XDG_CACHE_HOME", home + "/cache"}};

  std::string command = kChromium;
  for (const auto& a : args) command += " " + a;
  RunningCommand chromium(kChromium, args, env, "");
  bool killed = false;
  const CommandResult result = chromium.wait_for(limit, &killed);
  r.ran = !killed && result.exit_code == 0;
  r.log = "$ " + command + "\n" + result.out + result.err;
  if (killed) r.log += "\nChromium killed: not finished after " + std::to_string(limit.count()) + " s";
  else if (result.exit_code != 0) r.log += "\nChromium exited with status " + std::to_string(result.exit_code);
  r.png_written = read_png_header(png.string(), r);

  // In what the page said, its copy is called by the page's name.
  const std::string copy_url = "file://" + url_path(copy_name);
  const std::string page_url = "file://" + url_path(page.string());
  bool probe_ran = false;
  for (ConsoleRecord& record : console_records(result.err)) {
    if (record.source.rfind("chrome", 0) == 0 || record.source.rfind("devtools:", 0) == 0) continue;  // Chromium's own pages
    replace_all(record.message, copy_url, page_url);
    replace_all(record.source, copy_url, page_url);
    if (record.message == kReady) {
      probe_ran = true;
      continue;
    }
    // The probe's records carry the probe's own source and line, which would only mislead.
    if (record.message.rfind(kMarker, 0) == 0) r.console_errors.push_back(record.message.substr(kMarker.size()));
    else if (record.message.rfind("Uncaught", 0) == 0) r.console_errors.push_back(record.message + " (" + record.source + ":" + record.line + ")");
    else r.console_messages.push_back(record.message + " (" + record.source + ":" + record.line + ")");
  }
  // Without the probe, console.error calls and failed loads would go unseen: not a clean page.
  if (r.ran && !probe_ran)
    r.console_errors.push_back(
        "roachrun's probe did not run in the page (blocked by a Content-Security-Policy before its <meta "
        "charset>?): console.error calls and failed loads were not watched");
  return r;
}

void ChromiumTest::SetUp() {
  if (chromium_available()) return;
  const char* ci = getenv("CI");
  if (ci && *ci) FAIL() << "Chromium is not installed, and under CI it must be: scripts/bootstrap.sh --tests installs it";
  GTEST_SKIP() << "Chromium is not installed (scripts/bootstrap.sh --tests installs it)";
}

std::string indented_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += "  " + i + "\n";
  return out;
}

}  // namespace roachrun::test
