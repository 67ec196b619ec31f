// ServerStats → Prometheus text format 0.0.4 (see gc/ingest_metrics.hpp).
#include "gc/ingest_metrics.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace gc::ingest {

namespace {

// Shortest round-trip representation; Prometheus spells infinities +Inf / -Inf.
std::string number(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (std::isnan(value)) {
    return "NaN";
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Label values escape backslash, double quote and newline.
std::string label_value(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void header(std::string& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::uint64_t value) {
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
  header(out, name, type, help);
  sample(out, name, value);
}

}  // namespace

std::string prometheus_text(const ServerStats& s) {
  std::string out;
  metric(out, "greenchannel_connections_accepted_total", "counter",
         "Cart connections accepted since start.", s.connections_accepted);
  metric(out, "greenchannel_connections_refused_total", "counter",
         "Connections refused at the connection cap or during shutdown.", s.connections_refused);
  metric(out, "greenchannel_connections_reclaimed_total", "counter",
         "Connections closed at a full cap to make room (not yet authenticated, or idle).",
         s.connections_reclaimed);
  metric(out, "greenchannel_sessions_open", "gauge", "Cart connections open now.",
         s.sessions_open);
  metric(out, "greenchannel_frames_received_total", "counter",
         "Complete frames received from carts.", s.frames_received);
  metric(out, "greenchannel_bytes_received_total", "counter",
         "Bytes received from carts (after TLS).", s.bytes_received);

  constexpr std::string_view rejected = "greenchannel_frames_rejected_total";
  header(out, rejected, "counter", "Frames answered with an error frame, by error code.");
  for (const auto& [reason, count] : s.frames_rejected_by_reason) {
    out.append(rejected)
        .append("{reason=\"")
        .append(label_value(reason))
        .append("\"} ")
        .append(std::to_string(count))
        .append("\n");
  }

  metric(out, "greenchannel_auth_failures_total", "counter",
         "Hellos refused: unknown, revoked or wrong credential, or rate-limited.",
         s.auth_failures);
  metric(out, "greenchannel_tls_handshake_failures_total", "counter",
         "TLS handshakes that failed (including refused or missing client certificates).",
         s.tls_handshake_failures);
  metric(out, "greenchannel_chunks_stored_total", "counter",
         "Sample chunks committed to the database.", s.chunks_stored);
  metric(out, "greenchannel_chunks_duplicate_total", "counter",
         "Resent chunks already stored (acknowledged again, stored once).", s.chunks_duplicate);
  metric(out, "greenchannel_commits_total", "counter", "Group commits (SQLite transactions).",
         s.commits);

  constexpr std::string_view latency = "greenchannel_commit_latency_seconds";
  header(out, latency, "histogram",
         "Duration of one group commit (SQLite transaction including fsync).");
  const LatencyHistogram& h = s.commit_latency;
  for (std::size_t i = 0; i < h.upper_bounds_s.size() && i < h.cumulative_counts.size(); ++i) {
    out.append(latency)
        .append("_bucket{le=\"")
        .append(number(h.upper_bounds_s[i]))
        .append("\"} ")
        .append(std::to_string(h.cumulative_counts[i]))
        .append("\n");
  }
  out.append(latency).append("_bucket{le=\"+Inf\"} ").append(std::to_string(h.count)).append("\n");
  out.append(latency).append("_sum ").append(number(h.sum_s)).append("\n");
  out.append(latency).append("_count ").append(std::to_string(h.count)).append("\n");

  metric(out, "greenchannel_studies_completed_total", "counter",
         "Studies completed with a verified CRC-32.", s.studies_completed);
  metric(out, "greenchannel_studies_analysed_total", "counter",
         "Completed studies analysed (finding stored).", s.studies_analysed);
  return out;
}

}  // namespace gc::ingest
