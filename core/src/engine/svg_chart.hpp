// Charts as inline SVG for the HTML report: a time chart (lines over seconds, shaded bands,
// event marks on the time axis), a histogram on a logarithmic axis, and a timeline of steps.
// Plain data in, one <svg> element out; nothing here knows what is being charted.
//
// Readable without colour: every series has a colour of the Okabe-Ito palette (told apart with
// any of the common colour blindnesses) *and* a dash pattern and a marker shape of its own, the
// legend shows both, bands are hatched, and a failed step is hatched as well as red. Each chart
// has a viewBox and scales to its container (a phone's width or a 1280 px window); values are in
// <title> tooltips, which need no script.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace roachrun::svg {

struct Point {
  double x = 0, y = 0;
  bool gap = false;  // no value here: the line breaks (an interval with no transfer has no latency)
};

struct Series {
  std::string label;
  std::vector<Point> points;
};

// A span of the x axis to shade, e.g. when a client had no connection.
struct Band {
  double from = 0, to = 0;
  std::string tooltip;
};

// Counts of something that happened, by x (an interval's start and length), drawn as marks in a
// strip of their own under the plot: one row per kind.
struct EventRow {
  std::string label;
  struct Mark {
    double from = 0, to = 0;
    double count = 0;
  };
  std::vector<Mark> marks;
};

struct TimeChart {
  std::string title;
  std::string y_label;  // with its unit: "transfers/s", "latency (ms)"
  std::string x_label = "time since the start (s)";
  double x_max = 1;
  bool log_y = false;  // for latencies: a p99 of 4 s and a p50 of 2 ms on one chart
  std::vector<Series> series;
  std::vector<Band> bands;
  std::string band_label;  // the legend's name for the bands
  std::vector<EventRow> events;
};

struct HistogramBin {
  double from = 0, to = 0;  // > 0: the axis is logarithmic
  double count = 0;
};

struct Histogram {
  std::string title, x_label, y_label;
  std::vector<HistogramBin> bins;  // as recorded; merged into about 40 bins for drawing
  std::vector<std::pair<std::string, double>> markers;  // vertical lines, e.g. {"p99", 12.5}
};

struct TimelineBar {
  std::string label;  // the step
  std::string group;  // its branch ("block / branch"), empty outside one
  double start = 0, end = 0;
  enum class Status { passed, failed, skipped } status = Status::passed;
  std::string tooltip;
};

struct Timeline {
  std::string title;
  std::string x_label = "time since the scenario's start (s)";
  double x_max = 1;
  std::vector<TimelineBar> bars;  // one row each, in this order
};

// The patterns the charts refer to (url(#hatch), url(#failed)): once per page, before them.
std::string definitions();

std::string render(const TimeChart& chart);
std::string render(const Histogram& histogram);
std::string render(const Timeline& timeline);

// Axis ticks at 1, 2 or 5 times a power of ten covering [0, max] (about `target` of them).
std::vector<double> linear_ticks(double max, int target = 6);
// Ticks at 1, 2 and 5 times each power of ten within [min, max], both > 0.
std::vector<double> log_ticks(double min, double max);
// A tick's text: "0", "2.5", "1,000", "0.05".
std::string tick_text(double v);

}  // namespace roachrun::svg
