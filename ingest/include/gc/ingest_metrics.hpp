// ingest_metrics — the ingest server's counters (ServerStats) as Prometheus text exposition format
// 0.0.4, for the station's GET /metrics (station/API.md "Health and metrics"). Metric names:
// greenchannel_connections_accepted_total, greenchannel_connections_refused_total,
// greenchannel_connections_reclaimed_total,
// greenchannel_sessions_open, greenchannel_frames_received_total,
// greenchannel_bytes_received_total, greenchannel_frames_rejected_total{reason="FRAME_TOO_LARGE"…},
// greenchannel_auth_failures_total, greenchannel_tls_handshake_failures_total,
// greenchannel_chunks_stored_total, greenchannel_chunks_duplicate_total,
// greenchannel_commits_total, greenchannel_commit_latency_seconds (histogram),
// greenchannel_studies_completed_total, greenchannel_studies_analysed_total.
// Content-Type for the response: prometheus_content_type().
#pragma once

#include <string>
#include <string_view>

#include "gc/ingest.hpp"

namespace gc::ingest {

// Every metric with its # HELP and # TYPE lines; ends with a newline.
std::string prometheus_text(const ServerStats& stats);

constexpr std::string_view prometheus_content_type() {
  return "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace gc::ingest
