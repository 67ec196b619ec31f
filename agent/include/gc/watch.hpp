// watch — the store-and-forward agent of a cart's export folder (`greenchannel cart --watch DIR`).
// Polls DIR (portable, works on SMB/NFS shares where inotify does not), waits until each new ECG
// file is completely written, sends it once as a study, and reports progress, the receipt, the
// automatic read and the cardiologist's updates as events.
//
// Exactly once, across agent restarts, server outages and flaky links:
//  - a file is claimed in the journal (gc/watch_journal.hpp) before its first byte is sent, with a
//    study UID derived from its content ("sha256:<hex>") and its acquisition time; a resend after
//    a crash is the same study, which the server resumes from its next chunk or re-acknowledges;
//  - a file is sent once its journal line says so; a renamed copy of a sent file is recognised by
//    its hash and not sent again; a file replaced under the same name is a new ECG.
// Folder conventions: hidden names (".…", including the state folder), "*.tmp", "*.part",
// "*.partial" and "*~" are files still being written elsewhere and are skipped; a WFDB record is
// its ".hea" plus the data files it names; a ".dat" no header names waits for its header. Sent
// files stay where they are (the journal is the record of what was sent; the clinic's export
// software may keep its own index of the folder). A file that still cannot be read after it has
// stopped changing for twice the settle interval is moved to DIR/rejected/ with NAME.error.txt
// (one line: the file and the reason); so is a study the server refuses (not the device).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

#include "gc/cart_client.hpp"
#include "gc/cart_study.hpp"

namespace gc::agent {

struct WatchConfig {
  std::filesystem::path dir;
  std::filesystem::path state_dir;  // empty: dir / ".greenchannel"
  std::chrono::milliseconds poll_interval{1000};
  // A file is read once its size and mtime have not changed for this long.
  std::chrono::milliseconds settle{2000};
  // Server unavailable: wait retry_initial, doubling up to retry_max, between attempts.
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{60'000};
  // A study the server received but did not verify (StudyAck.complete false) is tried this many
  // times before the file is rejected.
  int max_unverified_attempts = 3;
};

struct WatchEvent {
  enum class Kind {
    waiting,             // a new file: waiting until it is completely written
    duplicate,           // the same content was already claimed or sent: not sent again
    rejected,            // moved to rejected/ (message: the reason)
    sending,             // claimed, now being sent (study set)
    progress,            // a line from the cart client while sending (message)
    sent,                // receipt and read (study, result set)
    server_unavailable,  // message: why; retry_in: when the agent tries again
    alert_update,        // the cardiologist's (or the server's) update of a sent study
  };
  Kind kind = Kind::waiting;
  std::string file;       // name in the watched folder ("" when not about one file)
  std::string study_uid;  // when known
  std::string message;
  std::chrono::milliseconds retry_in{0};
  std::size_t waiting_to_send = 0;             // server_unavailable: files claimed, not yet sent
  const ConvertedStudy* study = nullptr;       // sending, sent; valid during the callback only
  const ingest::CartResult* result = nullptr;  // sent
  const proto::pb::AlertUpdate* update = nullptr;  // alert_update
};

struct WatchSummary {
  std::size_t sent = 0;
  std::size_t duplicates = 0;
  std::size_t rejected = 0;
};

// Runs until `stop` becomes true (checked between files and at least every poll interval; a send
// in progress finishes or is resumed next time). `cart` gives the server, credentials, TLS and
// timeouts; its `log` is replaced by progress events. Throws JournalError (state folder locked or
// damaged) and ingest::CartError when the server refuses the device itself (UNAUTHENTICATED or
// an unsupported protocol version): then nothing could ever be sent.
WatchSummary run_watch(const WatchConfig& config, ingest::CartConfig cart,
                       const std::atomic<bool>& stop,
                       const std::function<void(const WatchEvent&)>& on_event);

// The study UID a file's content is sent under.
std::string study_uid_for_sha256(const std::string& sha256_hex);
// The uid an ECG is sent again under when its study expired on the server (Error STUDY_EXPIRED):
// "sha256:<hex>" → "sha256:<hex>-r2" → "sha256:<hex>-r3" ….
std::string next_study_uid(const std::string& study_uid);

}  // namespace gc::agent
