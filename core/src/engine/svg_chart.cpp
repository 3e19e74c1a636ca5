#include "engine/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "engine/report_junit.hpp"  // xml_escape: SVG is XML, the one escaper of the tree

namespace roachrun::svg {

namespace {

// Okabe & Ito's palette, in an order whose neighbours differ in lightness too (grey-scale).
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
constexpr const char* kDashes[] = {"", "7 4", "2 3", "9 3 2 3", "4 2", "1 4", "12 4"};
constexpr int kStyles = 7;

// The plot's frame inside a chart's viewBox.
struct Frame {
  // 960 wide: on a 1240 px page the text is drawn a little larger than written, and a phone
  // shows it at 600 px (the page's min-width for charts) still readable.
  double width = 960, left = 78, right = 24, top = 44, plot_height = 220;
  double plot_width() const { return width - left - right; }
  double bottom() const { return top + plot_height; }
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string attr(double v) { return "\"" + num(v) + "\""; }

// A marker of style `style` at (x, y): circle, square, triangle, diamond, cross, ...
std::string marker(int style, double x, double y, const char* colour) {
  const double r = 3.5;
  std::ostringstream o;
  switch (style % kStyles) {
    case 0: o << "<circle cx=" << attr(x) << " cy=" << attr(y) << " r=\"3.5\" fill=\"" << colour << "\"/>"; break;
    case 1:
      o << "<rect x=" << attr(x - r) << " y=" << attr(y - r) << " width=\"7\" height=\"7\" fill=\"" << colour << "\"/>";
      break;
    case 2:
      o << "<path d=\"M" << num(x) << " " << num(y - r - 1) << "L" << num(x + r + 1) << " " << num(y + r) << "L"
        << num(x - r - 1) << " " << num(y + r) << "Z\" fill=\"" << colour << "\"/>";
      break;
    case 3:
      o << "<path d=\"M" << num(x) << " " << num(y - r - 1) << "L" << num(x + r + 1) << " " << num(y) << "L" << num(x)
        << " " << num(y + r + 1) << "L" << num(x - r - 1) << " " << num(y) << "Z\" fill=\"" << colour << "\"/>";
      break;
    case 4:
      o << "<path d=\"M" << num(x - r) << " " << num(y - r) << "L" << num(x + r) << " " << num(y + r) << "M"
        << num(x + r) << " " << num(y - r) << "L" << num(x - r) << " " << num(y + r) << "\" stroke=\"" << colour
        << "\" stroke-width=\"2\"/>";
      break;
    default:
      o << "<circle cx=" << attr(x) << " cy=" << attr(y) << " r=\"3.5\" fill=\"white\" stroke=\"" << colour
        << "\" stroke-width=\"1.5\"/>";
  }
  return o.str();
}

// A legend entry's sample: a short line in the series' dash with its marker on it.
std::string legend_sample(int style, double x, double y) {
  const char* colour = kColours[style % kStyles];
  std::ostringstream o;
  o << "<line x1=" << attr(x) << " y1=" << attr(y) << " x2=" << attr(x + 28) << " y2=" << attr(y) << " stroke=\""
    << colour << "\" stroke-width=\"2.5\"" << (*kDashes[style % kStyles] ? std::string(" stroke-dasharray=\"") + kDashes[style % kStyles] + "\"" : "")
    << "/>" << marker(style, x + 14, y, colour);
  return o.str();
}

std::string open_svg(double width, double height, const std::string& title) {
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << num(width) << " " << num(height)
    << "\" role=\"img\" aria-label=\"" << xml_escape(title) << "\" class=\"chart\">"
    << "<title>" << xml_escape(title) << "</title>"
    << "<text x=\"12\" y=\"24\" class=\"chart-title\">" << xml_escape(title) << "</text>";
  return o.str();
}

// The legend in one row (wrapping) above the plot, from `x` at `y`; returns its height.
double legend(std::ostringstream& o, const std::vector<std::pair<int, std::string>>& entries, bool band,
              const std::string& band_label, double x0, double y, double width) {
  double x = x0;
  double rows = 1;
  const auto room = [&](double w) {
    if (x + w > width - 10 && x > x0) {
      x = x0;
      y += 18;
      ++rows;
    }
  };
  for (const auto& [style, label] : entries) {
    const double w = 40 + 7.5 * static_cast<double>(label.size()) + 18;
    room(w);
    o << legend_sample(style, x, y - 4) << "<text x=" << attr(x + 34) << " y=" << attr(y) << " class=\"legend\">"
      << xml_escape(label) << "</text>";
    x += w;
  }
  if (band) {
    const double w = 40 + 7.5 * static_cast<double>(band_label.size());
    room(w);
    o << "<rect x=" << attr(x) << " y=" << attr(y - 11) << " width=\"28\" height=\"13\" fill=\"url(#hatch)\" "
      << "stroke=\"#888888\"/><text x=" << attr(x + 34) << " y=" << attr(y) << " class=\"legend\">"
      << xml_escape(band_label) << "</text>";
  }
  return rows * 18;
}

struct Scale {
  double min = 0, max = 1;
  bool log = false;
  double from = 0, to = 1;  // pixels
  double operator()(double v) const {
    if (log) {
      const double lv = std::log10(std::max(v, min));
      return from + (lv - std::log10(min)) / (std::log10(max) - std::log10(min)) * (to - from);
    }
    return from + (v - min) / (max - min) * (to - from);
  }
};

void x_axis(std::ostringstream& o, const Frame& f, const Scale& x, const std::vector<double>& ticks,
            const std::string& label, double y) {
  o << "<line x1=" << attr(f.left) << " y1=" << attr(y) << " x2=" << attr(f.width - f.right) << " y2=" << attr(y)
    << " class=\"axis\"/>";
  for (double t : ticks) {
    const double px = x(t);
    o << "<line x1=" << attr(px) << " y1=" << attr(y) << " x2=" << attr(px) << " y2=" << attr(y + 5)
      << " class=\"axis\"/><text x=" << attr(px) << " y=" << attr(y + 18) << " class=\"tick\" text-anchor=\"middle\">"
      << tick_text(t) << "</text>";
  }
  o << "<text x=" << attr(f.left + f.plot_width() / 2) << " y=" << attr(y + 36)
    << " class=\"axis-label\" text-anchor=\"middle\">" << xml_escape(label) << "</text>";
}

void y_axis(std::ostringstream& o, const Frame& f, const Scale& y, const std::vector<double>& ticks,
            const std::string& label) {
  o << "<line x1=" << attr(f.left) << " y1=" << attr(f.top) << " x2=" << attr(f.left) << " y2=" << attr(f.bottom())
    << " class=\"axis\"/>";
  for (double t : ticks) {
    const double py = y(t);
    o << "<line x1=" << attr(f.left) << " y1=" << attr(py) << " x2=" << attr(f.width - f.right) << " y2=" << attr(py)
      << " class=\"grid\"/><text x=" << attr(f.left - 6) << " y=" << attr(py + 4)
      << " class=\"tick\" text-anchor=\"end\">" << tick_text(t) << "</text>";
  }
  o << "<text transform=\"translate(16 " << num(f.top + f.plot_height / 2) << ") rotate(-90)\" "
    << "class=\"axis-label\" text-anchor=\"middle\">" << xml_escape(label) << "</text>";
}

std::string fixed3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

std::string definitions() {
  // Hatching for bands, and for failed steps over their red: visible in grey-scale, where a
  // tint may not be.
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"0\" aria-hidden=\"true\" "
         "style=\"position:absolute\"><defs>"
         "<pattern id=\"hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#eeeeee\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#888888\" stroke-width=\"2\"/></pattern>"
         "<pattern id=\"failed\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#D55E00\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#000000\" stroke-width=\"2\"/></pattern>"
         "</defs></svg>";
}

std::vector<double> linear_ticks(double max, int target) {
  if (!(max > 0) || !std::isfinite(max)) max = 1;
  const double raw = max / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> out;
  for (int i = 0; i * step <= max * (1 + 1e-9) && i < 100; ++i) out.push_back(i * step);
  if (out.back() < max * (1 - 1e-9)) out.push_back(out.back() + step);  // the axis ends on a tick
  return out;
}

std::vector<double> log_ticks(double min, double max) {
  std::vector<double> out;
  if (!(min > 0) || !(max > min)) return {min > 0 ? min : 1};
  // 1, 2, 5 in each decade while they fit; over more than three decades the powers of ten alone.
  static const std::vector<double> kDecade{1.0, 2.0, 5.0}, kPowers{1.0};
  const std::vector<double>& steps = std::log10(max / min) > 3.01 ? kPowers : kDecade;
  for (double p = std::pow(10.0, std::floor(std::log10(min))); p <= max * 10 && out.size() < 60; p *= 10)
    for (double m : steps)
      if (m * p >= min * (1 - 1e-9) && m * p <= max * (1 + 1e-9)) out.push_back(m * p);
  return out;
}

std::string tick_text(double v) {
  char buf[40];
  if (v == 0) return "0";
  if (std::fabs(v) >= 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    std::string digits = buf, out;  // 1,000 separators: 12,500 transfers/s reads at a glance
    const std::size_t lead = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (i - lead) % 3 == 0 && i >= lead) out += ',';
      out += digits[i];
    }
    return out;
  }
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string render(const TimeChart& c) {
  Frame f;
  std::ostringstream body;
  std::vector<std::pair<int, std::string>> entries;
  for (std::size_t i = 0; i < c.series.size(); ++i) entries.emplace_back(static_cast<int>(i), c.series[i].label);
  const double legend_height = legend(body, entries, !c.bands.empty(), c.band_label, f.left, 44, f.width);
  f.top = 44 + legend_height + 4;
  const double strip = 22;  // one event row
  const double events_top = f.bottom() + 8;
  const double axis_y = events_top + strip * static_cast<double>(c.events.size()) + (c.events.empty() ? 0 : 4);
  const double height = axis_y + 48;

  const double x_max = c.x_max > 0 ? c.x_max : 1;
  const std::vector<double> xt = linear_ticks(x_max, 10);
  const Scale x{0, xt.back(), false, f.left, f.width - f.right};

  double y_min = 0, y_max = 0;
  bool any = false;
  for (const auto& s : c.series)
    for (const auto& p : s.points)
      if (!p.gap && (!c.log_y || p.y > 0)) {
        y_min = any ? std::min(y_min, p.y) : p.y;
        y_max = any ? std::max(y_max, p.y) : p.y;
        any = true;
      }
  std::vector<double> yt;
  Scale y{0, 1, c.log_y, f.bottom(), f.top};
  if (c.log_y) {
    const double lo = any ? std::pow(10.0, std::floor(std::log10(y_min))) : 0.1;
    const double hi = any ? std::pow(10.0, std::ceil(std::log10(std::max(y_max, lo * 10)))) : 10;
    yt = log_ticks(lo, hi);
    y.min = lo;
    y.max = hi;
  } else {
    yt = linear_ticks(any ? y_max : 1, 5);
    y.max = yt.back() > 0 ? yt.back() : 1;
  }

  for (const auto& b : c.bands) {
    const double x0 = x(std::clamp(b.from, 0.0, x.max)), x1 = x(std::clamp(b.to, 0.0, x.max));
    body << "<rect x=" << attr(x0) << " y=" << attr(f.top) << " width=" << attr(std::max(2.0, x1 - x0))
         << " height=" << attr(f.plot_height) << " fill=\"url(#hatch)\" opacity=\"0.8\" class=\"band\"><title>"
         << xml_escape(b.tooltip) << "</title></rect>";
  }
  y_axis(body, f, y, yt, c.y_label);
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const int style = static_cast<int>(i);
    const char* colour = kColours[style % kStyles];
    std::string path;
    bool pen_down = false;
    for (const auto& p : c.series[i].points) {
      if (p.gap || (c.log_y && p.y <= 0)) {
        pen_down = false;
        continue;
      }
      path += (pen_down ? "L" : "M") + num(x(p.x)) + " " + num(y(std::min(p.y, y.max)));
      pen_down = true;
    }
    body << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2.2\""
         << (*kDashes[style % kStyles] ? std::string(" stroke-dasharray=\"") + kDashes[style % kStyles] + "\"" : "")
         << " class=\"series\"/>";
    // Markers: on every point when there are few, else every nth, each with its value.
    const std::size_t n = c.series[i].points.size();
    const std::size_t every = std::max<std::size_t>(1, n / 30);
    for (std::size_t k = 0; k < n; k += every) {
      const auto& p = c.series[i].points[k];
      if (p.gap || (c.log_y && p.y <= 0)) continue;
      body << "<g>" << marker(style, x(p.x), y(std::min(p.y, y.max)), colour) << "<title>"
           << xml_escape(c.series[i].label) << " at " << fixed3(p.x) << " s: " << fixed3(p.y) << "</title></g>";
    }
  }
  // Event strips: a bar per interval with something in it, as tall as its count allows.
  for (std::size_t r = 0; r < c.events.size(); ++r) {
    const EventRow& row = c.events[r];
    const double top = events_top + strip * static_cast<double>(r);
    double most = 0, total = 0;
    for (const auto& m : row.marks) most = std::max(most, m.count), total += m.count;
    body << "<text x=" << attr(f.left - 6) << " y=" << attr(top + 14) << " class=\"tick\" text-anchor=\"end\">"
         << xml_escape(row.label) << "</text><line x1=" << attr(f.left) << " y1=" << attr(top + strip - 3)
         << " x2=" << attr(f.width - f.right) << " y2=" << attr(top + strip - 3) << " class=\"grid\"/>";
    const int style = static_cast<int>(r) + static_cast<int>(c.series.size());
    for (const auto& m : row.marks) {
      if (m.count <= 0) continue;
      const double h = 4 + (strip - 8) * std::sqrt(m.count / most);
      const double x0 = x(std::clamp(m.from, 0.0, x.max)), x1 = x(std::clamp(m.to, 0.0, x.max));
      body << "<rect x=" << attr(x0) << " y=" << attr(top + strip - 3 - h) << " width=" << attr(std::max(2.0, x1 - x0 - 1))
           << " height=" << attr(h) << " fill=\"" << kColours[style % kStyles] << "\"><title>" << xml_escape(row.label)
           << " from " << fixed3(m.from) << " s to " << fixed3(m.to) << " s: " << tick_text(m.count) << "</title></rect>";
    }
    body << "<text x=" << attr(f.width - f.right) << " y=" << attr(top + 10)
         << " class=\"tick\" text-anchor=\"end\">" << tick_text(total) << " in all</text>";
  }
  x_axis(body, f, x, xt, c.x_label, axis_y);
  return open_svg(f.width, height, c.title) + body.str() + "</svg>";
}

std::string render(const Histogram& h) {
  Frame f;
  f.top = 44;
  std::ostringstream body;
  double lo = 0, hi = 0, most = 0;
  for (const auto& b : h.bins)
    if (b.count > 0 && b.from >= 0 && b.to > 0) {
      lo = lo == 0 ? std::max(b.from, b.to / 2) : std::min(lo, std::max(b.from, b.to / 2));
      hi = std::max(hi, b.to);
    }
  if (hi <= 0) {
    lo = 0.1;
    hi = 10;
  }
  const double min = std::pow(10.0, std::floor(std::log10(lo))), max = std::pow(10.0, std::ceil(std::log10(hi)));
  const Scale x{min, max, true, f.left, f.width - f.right};
  // About 12 bins per power of ten, each the sum of the recorded buckets whose middle falls in it.
  const int per_decade = 12;
  const int count = std::max(1, static_cast<int>(std::lround(std::log10(max / min) * per_decade)));
  std::vector<double> merged(static_cast<std::size_t>(count), 0);
  for (const auto& b : h.bins) {
    if (b.count <= 0 || b.to <= 0) continue;
    const double middle = std::sqrt(std::max(b.from, b.to / 2) * b.to);
    const int i = std::clamp(static_cast<int>(std::log10(middle / min) * per_decade), 0, count - 1);
    merged[static_cast<std::size_t>(i)] += b.count;
  }
  for (double m : merged) most = std::max(most, m);
  const std::vector<double> yt = linear_ticks(most > 0 ? most : 1, 5);
  const Scale y{0, yt.back() > 0 ? yt.back() : 1, false, f.bottom(), f.top};
  y_axis(body, f, y, yt, h.y_label);
  for (int i = 0; i < count; ++i) {
    const double c = merged[static_cast<std::size_t>(i)];
    if (c <= 0) continue;
    const double from = min * std::pow(10.0, static_cast<double>(i) / per_decade);
    const double to = min * std::pow(10.0, static_cast<double>(i + 1) / per_decade);
    body << "<rect x=" << attr(x(from)) << " y=" << attr(y(c)) << " width=" << attr(std::max(1.0, x(to) - x(from) - 1))
         << " height=" << attr(f.bottom() - y(c)) << " fill=\"" << kColours[0] << "\" class=\"bar\"><title>"
         << fixed3(from) << " to " << fixed3(to) << ": " << tick_text(c) << "</title></rect>";
  }
  for (std::size_t i = 0; i < h.markers.size(); ++i) {
    const auto& [label, value] = h.markers[i];
    if (!(value > 0)) continue;
    const double px = x(std::clamp(value, min, max));
    const int style = static_cast<int>(i) + 1;
    body << "<line x1=" << attr(px) << " y1=" << attr(f.top) << " x2=" << attr(px) << " y2=" << attr(f.bottom())
         << " stroke=\"" << kColours[style % kStyles] << "\" stroke-width=\"2\" stroke-dasharray=\""
         << (*kDashes[style % kStyles] ? kDashes[style % kStyles] : "4 2") << "\"/><text x=" << attr(px + 4)
         << " y=" << attr(f.top + 12 + 14 * static_cast<double>(i)) << " class=\"legend\">" << xml_escape(label)
         << " " << fixed3(value) << "</text>";
  }
  x_axis(body, f, x, log_ticks(min, max), h.x_label, f.bottom());
  return open_svg(f.width, f.bottom() + 48, h.title) + body.str() + "</svg>";
}

std::string render(const Timeline& t) {
  Frame f;
  f.left = 260;  // step names
  f.top = 40;
  const double row = 24;
  f.plot_height = row * static_cast<double>(std::max<std::size_t>(1, t.bars.size()));
  std::ostringstream body;
  const std::vector<double> xt = linear_ticks(t.x_max > 0 ? t.x_max : 1, 10);
  const Scale x{0, xt.back(), false, f.left, f.width - f.right};
  for (double tick : xt)
    body << "<line x1=" << attr(x(tick)) << " y1=" << attr(f.top) << " x2=" << attr(x(tick)) << " y2="
         << attr(f.bottom()) << " class=\"grid\"/>";
  for (std::size_t i = 0; i < t.bars.size(); ++i) {
    const TimelineBar& b = t.bars[i];
    const double top = f.top + row * static_cast<double>(i);
    std::string label = b.group.empty() ? b.label : b.group + ": " + b.label;
    if (label.size() > 36) label = label.substr(0, 33) + "...";
    body << "<text x=" << attr(f.left - 8) << " y=" << attr(top + 16) << " class=\"tick\" text-anchor=\"end\">"
         << xml_escape(label) << "</text>";
    const double x0 = x(std::clamp(b.start, 0.0, x.max)), x1 = x(std::clamp(b.end, 0.0, x.max));
    const char* fill = b.status == TimelineBar::Status::failed ? "url(#failed)"
                       : b.status == TimelineBar::Status::skipped ? "none"
                                                                   : kColours[0];
    body << "<rect x=" << attr(x0) << " y=" << attr(top + 4) << " width=" << attr(std::max(3.0, x1 - x0))
         << " height=" << attr(row - 8) << " fill=\"" << fill << "\" stroke=\""
         << (b.status == TimelineBar::Status::failed ? kColours[1] : b.status == TimelineBar::Status::skipped ? "#777777" : kColours[0])
         << "\"" << (b.status == TimelineBar::Status::skipped ? " stroke-dasharray=\"3 2\"" : "")
         << " stroke-width=\"1.5\" class=\"step-" << (b.status == TimelineBar::Status::failed   ? "failed"
                                                      : b.status == TimelineBar::Status::skipped ? "skipped"
                                                                                                  : "passed")
         << "\"><title>" << xml_escape(b.tooltip) << "</title></rect>";
  }
  x_axis(body, f, x, xt, t.x_label, f.bottom());
  return open_svg(f.width, f.bottom() + 48, t.title) + body.str() + "</svg>";
}

}  // namespace roachrun::svg
