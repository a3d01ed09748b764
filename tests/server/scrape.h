// Reads a Prometheus endpoint in tests: one plain HTTP GET over loopback,
// and the text exposition format parsed into samples.
#ifndef TAILOR_TESTS_SERVER_SCRAPE_H_
#define TAILOR_TESTS_SERVER_SCRAPE_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tailor::testing {

// The whole response (status line, headers, body) to GET `path` from
// 127.0.0.1:`port` ("" when the connection fails).
inline std::string HttpResponse(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (::send(fd, request.data(), request.size(), 0) ==
        static_cast<ssize_t>(request.size())) {
      char buf[65536];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) {
        response.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  return response;
}

// The status code of GET `path` (0 when the request fails).
inline int HttpStatus(int port, const std::string& path) {
  const std::string response = HttpResponse(port, path);
  int code = 0;
  if (response.size() > 12 &&
      absl::SimpleAtoi(absl::string_view(response).substr(9, 3), &code)) {
    return code;
  }
  return 0;
}

// The body of GET `path` from 127.0.0.1:`port` ("" when the request
// fails or the status is not 200).
inline std::string HttpGet(int port, const std::string& path) {
  const std::string response = HttpResponse(port, path);
  const size_t body = response.find("\r\n\r\n");
  const bool ok = absl::StartsWith(response, "HTTP/1.1 200") ||
                  absl::StartsWith(response, "HTTP/1.0 200");
  if (body == std::string::npos || !ok) {
    return "";
  }
  return response.substr(body + 4);
}

// One sample of the exposition: name, labels, value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The samples of an exposition (comments skipped). Label values must not
// hold '"', ',' or '=' (Tailor's never do).
inline std::vector<Sample> ParseExposition(const std::string& text) {
  std::vector<Sample> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "#")) continue;
    Sample s;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    if (brace != absl::string_view::npos && brace < space) {
      s.name = std::string(line.substr(0, brace));
      const size_t close = line.find('}', brace);
      for (absl::string_view pair :
           absl::StrSplit(line.substr(brace + 1, close - brace - 1), ',',
                          absl::SkipEmpty())) {
        std::vector<std::string> kv = absl::StrSplit(pair, '=');
        if (kv.size() == 2) {
          s.labels[kv[0]] = std::string(
              absl::StripPrefix(absl::StripSuffix(kv[1], "\""), "\""));
        }
      }
    } else {
      s.name = std::string(line.substr(0, space));
    }
    if (!absl::SimpleAtod(line.substr(space + 1), &s.value)) continue;
    out.push_back(std::move(s));
  }
  return out;
}

// The value of the one sample named `name` whose labels include `labels`;
// nullopt when there is none or more than one.
inline std::optional<double> Find(
    const std::vector<Sample>& samples, const std::string& name,
    const std::map<std::string, std::string>& labels = {}) {
  std::optional<double> found;
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) match = false;
    }
    if (!match) continue;
    if (found.has_value()) return std::nullopt;
    found = s.value;
  }
  return found;
}

}  // namespace tailor::testing

#endif  // TAILOR_TESTS_SERVER_SCRAPE_H_
