// A checker of the Prometheus text exposition format (version 0.0.4) for tests: every sample line names a
// metric with a TYPE line before it, counters end in _total, label values are well quoted, values are
// numbers, and each histogram's buckets increase in `le`, are cumulative and end with le="+Inf" equal to
// _count. The samples come back by their full name with labels, as written ("name{a=\"b\"}").
#pragma once

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace chatkit::testing {

struct exposition {
  std::map<std::string, double> samples;
  std::vector<std::string> errors;

  // The value of a sample, 0 when absent (counters with no event yet are not written).
  double value(const std::string& key) const {
    auto it = samples.find(key);
    return it == samples.end() ? 0.0 : it->second;
  }
};

inline exposition check_prometheus(const std::string& text) {
  exposition out;
  auto fail = [&](const std::string& line, const std::string& why) {
    out.errors.push_back(why + ": " + line);
  };
  std::map<std::string, std::string> types;  // family -> type
  std::set<std::string> helped, sampled;     // families with HELP, with samples
  struct hist_state {
    double last_le = -INFINITY;
    double last_count = 0;
    bool ended = false;
    double inf = -1;
  };
  std::map<std::string, hist_state> hists;  // family + labels without le
  std::map<std::string, double> counts;     // family + labels of _count

  auto valid_name = [](const std::string& n) {
    if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_' || n[0] == ':'))
      return false;
    for (char c : n)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
    return true;
  };
  auto parse_value = [](const std::string& v, double& d) {
    if (v == "+Inf") return d = INFINITY, true;
    if (v == "-Inf") return d = -INFINITY, true;
    if (v == "NaN") return d = NAN, true;
    char* end = nullptr;
    d = std::strtod(v.c_str(), &end);
    return !v.empty() && end == v.c_str() + v.size();
  };

  std::istringstream in(text);
  std::string line;
  if (!text.empty() && text.back() != '\n') out.errors.push_back("the text does not end with a newline");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream ls(line);
      std::string hash, kind, name, rest;
      ls >> hash >> kind >> name;
      std::getline(ls, rest);
      if (kind == "HELP") {
        if (!valid_name(name)) fail(line, "bad metric name");
        if (!helped.insert(name).second) fail(line, "HELP twice");
      } else if (kind == "TYPE") {
        const std::string t = rest.empty() ? "" : rest.substr(1);
        if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" && t != "untyped")
          fail(line, "unknown type");
        if (types.count(name)) fail(line, "TYPE twice");
        if (sampled.count(name)) fail(line, "TYPE after samples");
        types[name] = t;
        if (t == "counter" && (name.size() < 6 || name.substr(name.size() - 6) != "_total"))
          fail(line, "counter name without _total");
      }
      continue;
    }
    // name{labels} value
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    const std::string name = line.substr(0, i);
    if (!valid_name(name)) {
      fail(line, "bad sample name");
      continue;
    }
    std::map<std::string, std::string> labels;
    std::string label_text;
    if (i < line.size() && line[i] == '{') {
      const std::size_t open = i++;
      bool ok = true;
      while (ok && i < line.size() && line[i] != '}') {
        std::size_t k = i;
        while (k < line.size() && line[k] != '=') ++k;
        const std::string key = line.substr(i, k - i);
        if (!valid_name(key) || k + 1 >= line.size() || line[k + 1] != '"') {
          ok = false;
          break;
        }
        std::string val;
        std::size_t j = k + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            if (++j >= line.size() || (line[j] != '\\' && line[j] != '"' && line[j] != 'n')) {
              ok = false;
              break;
            }
            val.push_back(line[j] == 'n' ? '\n' : line[j]);
          } else {
            val.push_back(line[j]);
          }
        }
        if (!ok || j >= line.size()) {
          ok = false;
          break;
        }
        if (!labels.emplace(key, val).second) fail(line, "label twice");
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (!ok || i >= line.size()) {
        fail(line, "bad labels");
        continue;
      }
      label_text = line.substr(open, i + 1 - open);
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') {
      fail(line, "no value");
      continue;
    }
    double value = 0;
    std::string value_text = line.substr(i + 1);
    if (auto sp = value_text.find(' '); sp != std::string::npos)
      value_text.resize(sp);  // a timestamp may follow
    if (!parse_value(value_text, value)) {
      fail(line, "bad value");
      continue;
    }
    if (!out.samples.emplace(name + label_text, value).second) fail(line, "sample twice");

    // The family: the name itself, or a histogram's name without _bucket/_sum/_count.
    std::string family = name;
    std::string suffix;
    for (const char* s : {"_bucket", "_sum", "_count"}) {
      const std::string sx = s;
      if (!types.count(name) && name.size() > sx.size() && name.substr(name.size() - sx.size()) == sx &&
          types.count(name.substr(0, name.size() - sx.size()))) {
        family = name.substr(0, name.size() - sx.size());
        suffix = sx;
      }
    }
    auto t = types.find(family);
    if (t == types.end()) {
      fail(line, "sample without TYPE");
      continue;
    }
    sampled.insert(family);
    if (t->second == "histogram") {
      if (suffix.empty()) {
        fail(line, "histogram sample without _bucket/_sum/_count");
        continue;
      }
      std::string key = family;
      for (const auto& [k, v] : labels)
        if (k != "le") key += "," + k + "=" + v;
      if (suffix == "_bucket") {
        auto le = labels.find("le");
        double bound = 0;
        if (le == labels.end() || !parse_value(le->second, bound)) {
          fail(line, "bucket without a numeric le");
          continue;
        }
        auto& h = hists[key];
        if (h.ended) fail(line, "bucket after +Inf");
        if (!(bound > h.last_le)) fail(line, "le not increasing");
        if (value < h.last_count) fail(line, "buckets not cumulative");
        h.last_le = bound;
        h.last_count = value;
        if (std::isinf(bound)) {
          h.ended = true;
          h.inf = value;
        }
      } else if (suffix == "_count") {
        counts[key] = value;
      }
    } else if (!suffix.empty() && !types.count(name)) {
      fail(line, "suffix on a non-histogram");
    }
  }
  for (const auto& [key, h] : hists) {
    if (!h.ended) out.errors.push_back("histogram without +Inf bucket: " + key);
    auto c = counts.find(key);
    if (c == counts.end())
      out.errors.push_back("histogram without _count: " + key);
    else if (c->second != h.inf)
      out.errors.push_back("+Inf bucket differs from _count: " + key);
  }
  return out;
}

}  // namespace chatkit::testing
