#include "tools/cli/results_report.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "tools/cli/client.h"

namespace tailor {
namespace {

std::string Percent(const v1::Estimate& e) {
  return absl::StrFormat("%.2f%% [%.2f, %.2f]", 100 * e.value(), 100 * e.low(),
                         100 * e.high());
}

std::string Money(const v1::Estimate& e) {
  return absl::StrFormat("%.2f [%.2f, %.2f]", e.value(), e.low(), e.high());
}

std::string PValue(double p) {
  return p < 0.0001 ? std::string("p<0.0001") : absl::StrFormat("p=%.4f", p);
}

std::string Fixed(const v1::ArmComparison& c) {
  if (!c.defined()) return "n/a";
  return absl::StrFormat("%+.1f%% [%+.1f, %+.1f] %s", 100 * c.relative(),
                         100 * c.low(), 100 * c.high(), PValue(c.p_value()));
}

std::string Sequential(const v1::ArmComparison& c) {
  if (!c.defined()) return "n/a";
  return absl::StrFormat("%+.1f%% [%+.1f, %+.1f] %s", 100 * c.relative(),
                         100 * c.sequential_low(), 100 * c.sequential_high(),
                         PValue(c.sequential_p_value()));
}

// The rows both forms show.
struct ArmRow {
  std::string arm;
  std::string strategy;
  std::string shoppers;
  std::string exposures;
  std::string click_through;
  std::string add_to_cart;
  std::string conversion;
  std::string revenue;
};

struct OffPolicyRow {
  std::string arm;
  std::string conversion;
  std::string revenue;
};

std::vector<OffPolicyRow> OffPolicyRows(const v1::ExperimentResults& r) {
  std::vector<OffPolicyRow> rows;
  for (const v1::ArmResults& a : r.arms()) {
    rows.push_back({a.arm(), Percent(a.off_policy_conversion()),
                    Money(a.off_policy_revenue())});
  }
  return rows;
}

struct ComparisonRow {
  std::string what;  // "als: conversion"
  std::string fixed;
  std::string sequential;
  std::string cuped;
};

std::vector<ArmRow> ArmRows(const v1::ExperimentResults& r) {
  std::vector<ArmRow> rows;
  for (const v1::ArmResults& a : r.arms()) {
    rows.push_back({absl::StrCat(a.arm(), a.control() ? " (control)" : ""),
                    a.strategy(), absl::StrCat(a.shoppers()),
                    absl::StrCat(a.exposures()), Percent(a.click_through()),
                    Percent(a.add_to_cart().estimate()),
                    Percent(a.conversion().estimate()),
                    Money(a.revenue_per_shopper().estimate())});
  }
  return rows;
}

std::vector<ComparisonRow> ComparisonRows(const v1::ExperimentResults& r) {
  std::vector<ComparisonRow> rows;
  for (const v1::ArmResults& a : r.arms()) {
    if (a.control()) continue;
    for (const auto& [name, metric] :
         {std::pair<const char*, const v1::ArmMetric*>{"conversion",
                                                       &a.conversion()},
          {"add-to-cart", &a.add_to_cart()},
          {"revenue/shopper", &a.revenue_per_shopper()}}) {
      rows.push_back({absl::StrCat(a.arm(), ": ", name),
                      Fixed(metric->vs_control()),
                      Sequential(metric->vs_control()),
                      Fixed(metric->cuped_vs_control())});
    }
  }
  return rows;
}

bool HasControl(const v1::ExperimentResults& r) {
  return std::any_of(r.arms().begin(), r.arms().end(),
                     [](const v1::ArmResults& a) { return a.control(); });
}

std::string Heading(const v1::ExperimentResults& r) {
  const v1::Experiment& e = r.experiment();
  return absl::StrFormat(
      "experiment %s (%s), started %s UTC; results at %s UTC\n"
      "attribution window %d days; always-valid mixture tau %.2f",
      e.name(), StateText(e.state()), UnixText(e.start_unix()),
      UnixText(r.computed_unix()), r.attribution_window_seconds() / 86400,
      r.sequential_tau());
}

std::string SampleRatioText(const v1::ExperimentResults& r) {
  if (r.experiment().allocation() == v1::EXPERIMENT_ALLOCATION_THOMPSON) {
    return "sample ratio: not checked (a bandit's shares change from period "
           "to period)";
  }
  if (r.sample_ratio_mismatch()) {
    return absl::StrFormat(
        "SAMPLE RATIO MISMATCH (chi-squared %.2f, p=%.2g < 0.001): the "
        "shoppers per arm do not match the shares; the assignment or the "
        "logging is broken and the comparisons cannot be trusted",
        r.sample_ratio_chi_squared(), r.sample_ratio_p_value());
  }
  return absl::StrFormat(
      "sample ratio: ok (chi-squared %.2f, p=%.4f against the shares)",
      r.sample_ratio_chi_squared(), r.sample_ratio_p_value());
}

std::string Html(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

constexpr std::array<const char*, 6> kColours = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

// Cumulative conversion per arm against the day, each with its band.
std::string Plot(const v1::ExperimentResults& r) {
  constexpr double kWidth = 720;
  constexpr double kHeight = 320;
  constexpr double kLeft = 60;
  constexpr double kBottom = 40;
  constexpr double kTop = 20;
  constexpr double kRight = 20;
  size_t days = 0;
  double top = 0;
  for (const v1::ArmResults& a : r.arms()) {
    days = std::max<size_t>(days, a.daily_size());
    for (const v1::DailyConversion& d : a.daily()) {
      if (d.shoppers() > 0) top = std::max(top, d.rate().high());
    }
  }
  if (days == 0) return "<p>No shopper has been exposed yet.</p>\n";
  top = top > 0 ? top * 1.1 : 0.01;
  const double w = kWidth - kLeft - kRight;
  const double h = kHeight - kTop - kBottom;
  auto x = [&](size_t day) {
    return kLeft + (days > 1 ? w * static_cast<double>(day) /
                                   static_cast<double>(days - 1)
                             : w / 2);
  };
  auto y = [&](double rate) { return kTop + h * (1 - rate / top); };
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
      "height=\"%.0f\" role=\"img\" aria-label=\"cumulative conversion per "
      "arm\">\n<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
      "fill=\"none\" stroke=\"#999\"/>\n",
      kWidth, kHeight, kLeft, kTop, w, h);
  for (int tick = 0; tick <= 4; ++tick) {
    const double rate = top * tick / 4;
    absl::StrAppendFormat(&svg,
                          "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" "
                          "text-anchor=\"end\">%.2f%%</text>\n",
                          kLeft - 6, y(rate) + 4, 100 * rate);
  }
  absl::StrAppendFormat(&svg,
                        "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" "
                        "text-anchor=\"middle\">day of the experiment "
                        "(1..%d)</text>\n",
                        kLeft + w / 2, kHeight - 10, days);
  for (int i = 0; i < r.arms_size(); ++i) {
    const v1::ArmResults& a = r.arms(i);
    const char* colour = kColours[i % kColours.size()];
    std::string line;
    std::string upper;
    std::string lower;
    const size_t offset = days - a.daily_size();
    for (int d = 0; d < a.daily_size(); ++d) {
      const v1::DailyConversion& day = a.daily(d);
      if (day.shoppers() == 0) continue;
      const double px = x(offset + d);
      absl::StrAppendFormat(&line, "%.1f,%.1f ", px, y(day.rate().value()));
      absl::StrAppendFormat(&upper, "%.1f,%.1f ", px, y(day.rate().high()));
      lower = absl::StrFormat("%.1f,%.1f ", px, y(day.rate().low())) + lower;
    }
    if (line.empty()) continue;
    absl::StrAppendFormat(&svg,
                          "<polygon points=\"%s%s\" fill=\"%s\" "
                          "fill-opacity=\"0.15\" stroke=\"none\"/>\n"
                          "<polyline points=\"%s\" fill=\"none\" "
                          "stroke=\"%s\" stroke-width=\"2\"/>\n",
                          upper, lower, colour, line, colour);
    absl::StrAppendFormat(&svg,
                          "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" "
                          "fill=\"%s\">%s</text>\n",
                          kLeft + 10, kTop + 16 + 16 * i, colour,
                          Html(a.arm()));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace

std::string FormatExperimentResults(const v1::ExperimentResults& r) {
  std::string out = Heading(r) + "\n\n";
  absl::StrAppendFormat(&out, "%-20s %-12s %9s %10s  %-26s %-26s %-26s %s\n",
                        "arm", "strategy", "shoppers", "exposures",
                        "click-through", "add-to-cart", "conversion",
                        "revenue/shopper");
  for (const ArmRow& row : ArmRows(r)) {
    absl::StrAppendFormat(&out, "%-20s %-12s %9s %10s  %-26s %-26s %-26s %s\n",
                          row.arm, row.strategy, row.shoppers, row.exposures,
                          row.click_through, row.add_to_cart, row.conversion,
                          row.revenue);
  }
  if (HasControl(r)) {
    absl::StrAppendFormat(&out, "\n%-28s %-36s %-36s %s\n",
                          "against the control", "fixed horizon (95%)",
                          "always valid (95%)", "CUPED, fixed horizon");
    for (const ComparisonRow& row : ComparisonRows(r)) {
      absl::StrAppendFormat(&out, "%-28s %-36s %-36s %s\n", row.what, row.fixed,
                            row.sequential, row.cuped);
    }
    out +=
        "(relative difference to the control; act on the always-valid "
        "column when reading results before the planned end)\n";
  } else {
    out += "\nno control arm: no comparisons\n";
  }
  absl::StrAppendFormat(&out, "\n%-20s %-26s %s\n", "if every shopper got",
                        "conversion/exposure", "revenue/exposure");
  for (const OffPolicyRow& row : OffPolicyRows(r)) {
    absl::StrAppendFormat(&out, "%-20s %-26s %s\n", row.arm, row.conversion,
                          row.revenue);
  }
  out +=
      "(off-policy: every logged exposure weighted by 1 / its probability, "
      "self-normalised)\n";
  absl::StrAppendFormat(&out,
                        "\n%s\nCUPED removed %.1f%% of the revenue "
                        "variance (covariate: spend before the start)\n",
                        SampleRatioText(r), 100 * r.cuped_variance_reduction());
  return out;
}

std::string ExperimentResultsHtml(const v1::ExperimentResults& r) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
      "charset=\"utf-8\">\n<title>Experiment ",
      Html(r.experiment().name()),
      "</title>\n<style>body{font-family:sans-serif;margin:2em}"
      "table{border-collapse:collapse;margin:1em 0}"
      "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
      "td:first-child,th:first-child{text-align:left}"
      ".alarm{color:#b00;font-weight:bold}</style>\n</head>\n<body>\n");
  absl::StrAppend(
      &out, "<h1>Experiment ", Html(r.experiment().name()), "</h1>\n<p>",
      absl::StrReplaceAll(Html(Heading(r)), {{"\n", "<br>"}}), "</p>\n");
  absl::StrAppend(&out, "<p",
                  r.sample_ratio_mismatch() ? " class=\"alarm\"" : "", ">",
                  Html(SampleRatioText(r)), "</p>\n");
  out +=
      "<h2>Arms</h2>\n<table>\n<tr><th>arm</th><th>strategy</th>"
      "<th>shoppers</th><th>exposures</th><th>click-through</th>"
      "<th>add-to-cart</th><th>conversion</th><th>revenue/shopper</th></tr>\n";
  for (const ArmRow& row : ArmRows(r)) {
    absl::StrAppend(&out, "<tr><td>", Html(row.arm), "</td><td>",
                    Html(row.strategy), "</td><td>", row.shoppers, "</td><td>",
                    row.exposures, "</td><td>", row.click_through, "</td><td>",
                    row.add_to_cart, "</td><td>", row.conversion, "</td><td>",
                    row.revenue, "</td></tr>\n");
  }
  out += "</table>\n";
  if (HasControl(r)) {
    out +=
        "<h2>Against the control</h2>\n<p>Relative difference, 95% "
        "interval and p-value. The always-valid column stays valid however "
        "often the results are read; the fixed-horizon one only at the "
        "planned end.</p>\n<table>\n<tr><th>arm: metric</th><th>fixed "
        "horizon</th><th>always valid</th><th>CUPED (fixed "
        "horizon)</th></tr>\n";
    for (const ComparisonRow& row : ComparisonRows(r)) {
      absl::StrAppend(&out, "<tr><td>", Html(row.what), "</td><td>", row.fixed,
                      "</td><td>", row.sequential, "</td><td>", row.cuped,
                      "</td></tr>\n");
    }
    out += "</table>\n";
  }
  out +=
      "<h2>Off-policy</h2>\n<p>What serving one arm to every shopper would "
      "earn per exposure, from every logged exposure weighted by 1 / its "
      "probability (self-normalised inverse propensity scoring).</p>\n"
      "<table>\n<tr><th>arm</th><th>conversion/exposure</th>"
      "<th>revenue/exposure</th></tr>\n";
  for (const OffPolicyRow& row : OffPolicyRows(r)) {
    absl::StrAppend(&out, "<tr><td>", Html(row.arm), "</td><td>",
                    row.conversion, "</td><td>", row.revenue, "</td></tr>\n");
  }
  out += "</table>\n";
  absl::StrAppendFormat(&out,
                        "<p>CUPED removed %.1f%% of the revenue variance "
                        "(covariate: each shopper's spend before the "
                        "start).</p>\n",
                        100 * r.cuped_variance_reduction());
  out +=
      "<h2>Cumulative conversion</h2>\n<p>Shoppers exposed by the end of "
      "each day who converted by then, with the 95% interval.</p>\n";
  out += Plot(r);
  out += "</body>\n</html>\n";
  return out;
}

absl::Status WriteExperimentReport(const v1::ExperimentResults& results,
                                   const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << ExperimentResultsHtml(results);
  out.close();
  if (!out) {
    return absl::UnavailableError(
        absl::StrCat("--html: cannot write '", path, "'"));
  }
  return absl::OkStatus();
}

}  // namespace tailor
