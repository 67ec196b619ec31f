// AlertService: the running alert lifecycle (see gc/alert_service.hpp). Rules from gc/alerts.hpp,
// persistence in storage::AlertStore, webhook delivery on its own worker thread.
#include "gc/alert_service.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "gc/alert_cart.hpp"
#include "gc/alert_store.hpp"
#include "gc/station_store.hpp"
#include "seq_feed.hpp"

namespace gc::workflow {

namespace {

// Thrown by the webhook worker's sleep when the service stops: the page stays "pending" and is
// retried at the next start.
struct Stopping {};
// Thrown by the webhook worker's sleep when another node took the page's claim over (this node
// was too slow to renew it): that node posts the page, this one stops.
struct ClaimLost {};

// An alert whose raise no alert service recorded this long after it was stored is adopted by the
// escalation tick of any node (see tick_locked).
constexpr UnixMs kAdoptRaiseAfterMs = 5'000;

std::string default_node_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host[0] ? host : "node") + "/" + std::to_string(::getpid()) + "/" + suffix;
}

AlertTransitionRecord to_record(const storage::AlertTransitionRow& r) {
  return AlertTransitionRecord{r.seq,   r.alert_id, r.from_state, r.to_state,
                               r.at_ms, r.actor,    r.reason,     r.note};
}

AlertPageRecord to_record(const storage::AlertPageRow& r) {
  AlertPageRecord p;
  p.seq = r.seq;
  p.alert_id = r.alert_id;
  p.level = static_cast<std::size_t>(r.level);
  p.who = r.who;
  p.due_ms = r.due_ms;
  p.sent_ms = r.sent_ms;
  p.channels = r.channels;
  p.webhook_status = r.webhook_status;
  return p;
}

// "station:dr_li" → "station"; "server" → "server".
std::string source_of(const std::string& actor) {
  const auto colon = actor.find(':');
  return colon == std::string::npos ? actor : actor.substr(0, colon);
}

AlertTier tier_of(const storage::AlertRecord& a) {
  return parse_alert_tier(a.tier).value_or(AlertTier::routine);
}

// The lifecycle as stored: the alert row gives tier and raise time, the transitions the rest.
AlertLifecycle lifecycle_of(const storage::AlertContext& ctx,
                            const std::vector<storage::AlertTransitionRow>& rows) {
  AlertLifecycle lc(tier_of(ctx.alert), ctx.alert.raised_ms);
  for (const auto& r : rows) {
    if (r.to_state == "raised") continue;
    const auto to = parse_alert_state(r.to_state);
    if (!to) throw Error("alert " + std::to_string(r.alert_id) + ": unknown state " + r.to_state);
    lc.apply(AlertTransition{*to, r.at_ms, r.actor, r.reason});
  }
  return lc;
}

std::string note_of(const std::string& zh, const std::string& en) {
  if (zh.empty()) return en;
  if (en.empty()) return zh;
  return zh + " / " + en;
}

}  // namespace

proto::pb::AlertUpdate to_alert_update(const AlertChange& c) {
  proto::pb::AlertUpdate u;
  u.set_study_uid(c.study_uid);
  u.set_alert_id(c.alert_id);
  u.set_state(c.state);
  u.set_tier(c.tier);
  u.set_actor(c.transition.actor);
  u.mutable_at()->set_unix_ms(c.transition.at_ms);
  u.mutable_at()->set_clock("server");
  u.set_reason(c.transition.reason);
  u.set_instructions_zh(c.instructions_zh);
  u.set_instructions_en(c.instructions_en);
  u.set_case_id(c.case_id.value_or(0));
  u.set_update_id(c.cart_outbox_id.value_or(0));
  return u;
}

std::vector<proto::pb::AlertUpdate> pending_alert_updates(AlertService& service,
                                                          const std::string& device_id) {
  std::vector<proto::pb::AlertUpdate> out;
  for (const auto& [id, payload] : service.pending_cart_updates(device_id)) {
    proto::pb::AlertUpdate u;
    if (!u.ParseFromString(payload)) {
      throw Error("cart_outbox row " + std::to_string(id) + " is not an AlertUpdate");
    }
    u.set_update_id(id);
    out.push_back(std::move(u));
  }
  return out;
}

struct AlertService::Impl {
  AlertServiceConfig cfg;
  AlertChannels channels;
  std::unique_ptr<storage::AlertStore> store;
  // The users (display name, contact) for the webhook's paged doctor; opened at the first page.
  mutable std::unique_ptr<storage::StationStore> users;
  mutable std::mutex users_mutex;

  std::mutex op_mutex;  // one apply / raise / tick at a time

  std::mutex run_mutex;
  std::condition_variable run_cv;
  bool running = false;
  bool stopping = false;
  std::thread timer;

  struct WebhookJob {
    std::int64_t page_seq = 0;
    std::string body;
  };
  std::deque<WebhookJob> webhook_jobs;  // guarded by run_mutex
  std::set<std::int64_t> webhook_inflight;  // pages this node holds the claim of; run_mutex
  std::thread webhook_worker;
  std::thread follower;

  // Guarded by op_mutex: every write of a transition or page registers its seq while still
  // holding it, and follow() reads under it, so a row is either this node's or another's.
  detail::SeqFeed transitions_feed;
  detail::SeqFeed pages_feed;

  std::chrono::milliseconds lease() const {
    if (cfg.webhook_lease > std::chrono::milliseconds::zero()) return cfg.webhook_lease;
    std::int64_t longest = 0;
    if (cfg.webhook) {
      for (const auto b : cfg.webhook->backoff_ms) longest = std::max(longest, b);
      longest += cfg.webhook->timeout_ms;
    }
    return std::chrono::milliseconds(longest + 5'000);
  }

  UnixMs now() const { return cfg.clock ? cfg.clock() : storage::now_unix_ms(); }

  void log(const std::string& line) const {
    if (cfg.log) cfg.log(line);
  }

  storage::AlertContext context(std::int64_t alert_id) {
    auto ctx = store->alert_context(alert_id);
    if (!ctx) throw Error("no alert " + std::to_string(alert_id));
    return std::move(*ctx);
  }

  AlertChange change_of(const storage::AlertContext& ctx, const std::string& state) const {
    AlertChange c;
    c.alert_id = ctx.alert.alert_id;
    c.study_id = ctx.alert.study_id;
    c.case_id = ctx.case_id;
    c.device_id = ctx.device_id;
    c.study_uid = ctx.study_uid;
    c.tier = ctx.alert.tier;
    c.category = ctx.alert.category;
    c.state = state;
    return c;
  }

  void notify(const AlertChange& change, bool to_cart, bool log_offline = true) {
    if (channels.to_station) {
      try {
        channels.to_station(change);
      } catch (const std::exception& e) {
        log("alert " + std::to_string(change.alert_id) + ": station channel: " + e.what());
      }
    }
    if (to_cart && channels.to_cart && !change.device_id.empty()) {
      try {
        const bool live = channels.to_cart(change);
        if (!live && log_offline) {
          log("alert " + std::to_string(change.alert_id) + ": cart " + change.device_id +
              " not connected; the update waits in the outbox");
        }
      } catch (const std::exception& e) {
        log("alert " + std::to_string(change.alert_id) + ": cart channel: " + e.what());
      }
    }
  }

  // Writes one transition with its case effects, event and cart outbox row.
  AlertChange write_transition(const storage::AlertContext& ctx,
                               const storage::AlertTransitionRow& row,
                               const std::string& instructions_zh,
                               const std::string& instructions_en) {
    AlertChange change = change_of(ctx, row.to_state);
    change.transition = to_record(row);
    change.instructions_zh = instructions_zh;
    change.instructions_en = instructions_en;

    storage::TransitionWrite w;
    w.transition = row;
    const UnixMs recorded = now();
    if (ctx.case_id) {
      w.case_id = ctx.case_id;
      const auto node = [&](NodeKind kind) {
        storage::TimeNodeRecord n;
        n.case_id = *ctx.case_id;
        n.kind = std::string(key(kind));
        n.raw_ms = row.at_ms;
        n.source = source_of(row.actor);
        n.actor = row.actor;
        n.clock = "server";
        n.recorded_ms = recorded;
        n.note = "alert " + std::to_string(ctx.alert.alert_id) + " " + row.to_state;
        return n;
      };
      if (row.to_state == "confirmed") {
        w.case_outcome = std::string(key(Outcome::stemi));
        w.nodes.push_back(node(NodeKind::ecg_diagnosis));
      } else if (row.to_state == "green_channel") {
        w.nodes.push_back(node(NodeKind::cath_lab_activation_decision));
      } else if (row.to_state == "rejected") {
        w.case_outcome = std::string(key(Outcome::not_stemi));
      }
    }
    if (row.to_state != "raised") {  // ingest records the raise event itself
      storage::EventRecord e;
      e.study_id = ctx.alert.study_id;
      e.kind = "alert_" + row.to_state;
      e.at = storage::Stamp{row.at_ms, source_of(row.actor), "server"};
      e.actor = row.actor;
      boost::json::object detail{
          {"alert_id", ctx.alert.alert_id}, {"from", row.from_state}, {"to", row.to_state}};
      if (!row.reason.empty()) detail["reason"] = row.reason;
      e.detail_json = boost::json::serialize(detail);
      w.event = std::move(e);
    }
    if (!ctx.device_id.empty()) {
      w.cart_device_id = ctx.device_id;
      w.cart_study_uid = ctx.study_uid;
      w.cart_payload = to_alert_update(change).SerializeAsString();
    }
    const auto written = store->record_transition(w);
    transitions_feed.take(written.transition_seq);  // caller holds op_mutex: not passed on again
    change.transition.seq = written.transition_seq;
    change.cart_outbox_id = written.outbox_id;
    return change;
  }

  // Records the raise as the alert's first transition (once).
  std::optional<AlertChange> record_raise(const storage::AlertContext& ctx) {
    const auto rows = store->transitions(ctx.alert.alert_id);
    if (std::any_of(rows.begin(), rows.end(),
                    [](const auto& r) { return r.to_state == "raised"; })) {
      return std::nullopt;
    }
    storage::AlertTransitionRow row;
    row.alert_id = ctx.alert.alert_id;
    row.from_state = "";
    row.to_state = "raised";
    row.at_ms = ctx.alert.raised_ms;
    row.actor = "server";
    return write_transition(ctx, row, "", "");
  }

  Roster load_roster() {
    Roster r;
    for (const auto& s : store->roster()) {
      try {
        r.add(Shift{s.start_ms, s.end_ms, s.chain});
      } catch (const Error& e) {
        log(std::string("roster: skipping a stored shift: ") + e.what());
      }
    }
    return r;
  }

  std::string webhook_body(const storage::AlertContext& ctx, const AlertLifecycle& lc,
                           const Page& page) const {
    AlertNotice n;
    n.alert_id = ctx.alert.alert_id;
    n.case_id = ctx.case_id;
    n.study_id = ctx.alert.study_id;
    n.study_uid = ctx.study_uid;
    n.device_id = ctx.device_id;
    n.clinic = ctx.clinic;
    n.age_years = ctx.age_years;
    n.sex = ctx.sex;
    n.fmc_ms = ctx.fmc_unix_ms;
    n.ecg_ms = ctx.acquired_at_unix_ms;
    n.summary_zh = ctx.alert.summary_zh;
    n.summary_en = ctx.alert.summary_en;
    n.station_url = cfg.station_url;
    if (!page.who.empty()) {
      try {
        std::lock_guard lock(users_mutex);
        if (!users) users = storage::StationStore::open(cfg.db_path);
        if (const auto u = users->find_user(page.who)) {
          n.who_name_zh = u->display_name_zh;
          n.who_contact = u->contact;
        }
      } catch (const std::exception& e) {
        // The page still goes out, with the user name alone.
        log(std::string("webhook: the paged user's contact could not be read: ") + e.what());
      }
    }
    return alert_notification_json(n, lc, page, cfg.tz);
  }

  // Takes the page's webhook claim (or finds it held by another node: then nothing) and queues
  // the post on this node's worker.
  bool claim_and_queue_webhook(std::int64_t page_seq, const std::function<std::string()>& body) {
    {
      std::lock_guard lock(run_mutex);
      if (webhook_inflight.contains(page_seq)) return false;
    }
    // Leases are about real elapsed time (is the holder alive?), not the escalation clock (which
    // tests move in jumps): the system clock.
    const UnixMs now_ms = storage::now_unix_ms();
    if (!store->claim_page_webhook(page_seq, cfg.node_id, now_ms, now_ms + lease().count())) {
      return false;
    }
    std::string text = body();
    {
      std::lock_guard lock(run_mutex);
      webhook_inflight.insert(page_seq);
      webhook_jobs.push_back(WebhookJob{page_seq, std::move(text)});
    }
    run_cv.notify_all();
    return true;
  }

  // Delivers the pages this alert calls for that are not stored yet. Caller holds op_mutex.
  void page_alert(const storage::AlertContext& ctx, const Roster& roster, UnixMs now_ms) {
    const auto rows = store->transitions(ctx.alert.alert_id);
    const AlertLifecycle lc = lifecycle_of(ctx, rows);
    const auto due = pages_due(lc, cfg.policy, roster, now_ms);
    if (due.empty()) return;
    std::set<std::int64_t> paged;
    for (const auto& p : store->pages(ctx.alert.alert_id)) paged.insert(p.level);
    for (const auto& page : due) {
      const auto level = static_cast<std::int64_t>(page.level);
      if (paged.contains(level)) continue;
      storage::AlertPageRow row;
      row.alert_id = ctx.alert.alert_id;
      row.level = level;
      row.who = page.who;
      row.reason = page.reason;
      row.due_ms = page.at_ms;
      row.sent_ms = now_ms;
      row.channels = cfg.webhook ? "station,webhook" : "station";
      row.webhook_status = cfg.webhook ? "pending" : "";
      const auto seq = store->record_page(row);
      if (!seq) continue;  // another process paged this level first
      pages_feed.take(*seq);  // caller holds op_mutex: not passed on again
      row.seq = *seq;
      log("alert " + std::to_string(ctx.alert.alert_id) + " (" + ctx.alert.tier + "): paged " +
          (page.who.empty() ? std::string("NOBODY (no one on call)") : page.who) + ", level " +
          std::to_string(page.level) + ": " + page.reason);
      AlertChange change = change_of(ctx, std::string(key(lc.state())));
      if (!rows.empty()) change.transition = to_record(rows.back());
      change.page = to_record(row);
      notify(change, false);
      if (cfg.webhook) {
        claim_and_queue_webhook(row.seq, [&] { return webhook_body(ctx, lc, page); });
      }
    }
  }

  void tick_locked() {
    const UnixMs now_ms = now();
    const Roster roster = load_roster();
    const auto since =
        now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(cfg.page_horizon).count();
    // An alert stored by a node that died before its alert service recorded the raise: recorded
    // here (once across nodes: the database keeps one raise per alert), so the stations and the
    // cart hear of it. The grace leaves the storing node's own hook time to run.
    for (const auto& ctx : store->alerts_missing_raise(since, now_ms - kAdoptRaiseAfterMs)) {
      try {
        if (auto change = record_raise(ctx)) {
          log("alert " + std::to_string(ctx.alert.alert_id) +
              ": its raise had not been recorded (the node that stored it stopped); recorded by " +
              cfg.node_id);
          notify(*change, true);
        }
      } catch (const std::exception& e) {
        // Another node recorded it first (one raise per alert), or the database failed: the
        // next tick looks again.
        log("alert " + std::to_string(ctx.alert.alert_id) + ": recording its raise: " + e.what());
      }
    }
    for (const auto& ctx : store->alerts_in_state("raised", since)) {
      // Routine alerts (every normal ECG) wait in the worklist: nothing to page, nothing to read.
      if (!cfg.policy.ack_deadline_ms(tier_of(ctx.alert))) continue;
      try {
        page_alert(ctx, roster, now_ms);
      } catch (const std::exception& e) {
        log("alert " + std::to_string(ctx.alert.alert_id) + ": paging failed: " + e.what());
      }
    }
  }

  // Pages stored as "pending" on the webhook whose outcome was never recorded: this node stopped
  // mid-retry, or another node that held the claim died. Claimed (when free or expired) and
  // posted here. Runs at start and at every tick.
  void requeue_webhooks() {
    if (!cfg.webhook) return;
    for (const auto& p : store->pages_awaiting_webhook()) {
      {
        std::lock_guard lock(run_mutex);
        if (webhook_inflight.contains(p.seq)) continue;
      }
      const auto ctx = store->alert_context(p.alert_id);
      if (!ctx) continue;
      const bool taken = claim_and_queue_webhook(p.seq, [&] {
        const AlertLifecycle lc = lifecycle_of(*ctx, store->transitions(p.alert_id));
        Page page{p.due_ms, static_cast<std::size_t>(p.level), p.who, p.reason};
        return webhook_body(*ctx, lc, page);
      });
      if (taken) {
        log("page " + std::to_string(p.seq) + ": webhook outcome missing; claimed by " +
            cfg.node_id + " and posting it");
      }
    }
  }

  // Passes the transitions and pages other nodes stored to this node's channels (see
  // AlertService::follow).
  void follow_once() {
    std::vector<storage::AlertTransitionRow> transitions;
    std::vector<storage::AlertPageRow> pages;
    {
      std::lock_guard op(op_mutex);
      const UnixMs now_ms = storage::now_unix_ms();  // gap timing: the real clock
      for (auto& row : store->transitions_after(transitions_feed.floor, detail::kFeedPage)) {
        if (transitions_feed.take(row.seq)) transitions.push_back(std::move(row));
      }
      transitions_feed.advance(now_ms);
      for (auto& row : store->pages_after(pages_feed.floor, detail::kFeedPage)) {
        if (pages_feed.take(row.seq)) pages.push_back(std::move(row));
      }
      pages_feed.advance(now_ms);
    }
    for (const auto& row : transitions) {
      try {
        const auto ctx = context(row.alert_id);
        AlertChange change = change_of(ctx, row.to_state);
        change.transition = to_record(row);
        bool to_cart = false;
        if (const auto out = store->cart_update_for_transition(row.seq)) {
          proto::pb::AlertUpdate u;
          if (u.ParseFromString(out->payload)) {
            change.instructions_zh = u.instructions_zh();
            change.instructions_en = u.instructions_en();
          }
          change.cart_outbox_id = out->id;
          to_cart = !out->delivered_ms.has_value();
        }
        notify(change, to_cart, false);
      } catch (const std::exception& e) {
        log("alert " + std::to_string(row.alert_id) + ": passing on transition " +
            std::to_string(row.seq) + " from another node failed: " + e.what());
      }
    }
    for (const auto& row : pages) {
      try {
        const auto ctx = context(row.alert_id);
        AlertChange change = change_of(ctx, ctx.alert.state);
        const auto rows = store->transitions(row.alert_id);
        if (!rows.empty()) change.transition = to_record(rows.back());
        change.page = to_record(row);
        notify(change, false);
      } catch (const std::exception& e) {
        log("alert " + std::to_string(row.alert_id) + ": passing on page " +
            std::to_string(row.seq) + " from another node failed: " + e.what());
      }
    }
  }

  void follow_loop() {
    std::unique_lock lock(run_mutex);
    while (!stopping) {
      lock.unlock();
      try {
        follow_once();
      } catch (const std::exception& e) {
        log(std::string("following other nodes' alert changes failed: ") + e.what());
      }
      lock.lock();
      run_cv.wait_for(lock, cfg.follow_interval, [&] { return stopping; });
    }
  }

  void timer_loop() {
    std::unique_lock lock(run_mutex);
    while (!stopping) {
      lock.unlock();
      try {
        std::lock_guard op(op_mutex);
        tick_locked();
      } catch (const std::exception& e) {
        log(std::string("alert escalation tick failed: ") + e.what());
      }
      try {
        requeue_webhooks();  // pages whose claim another node let run out
      } catch (const std::exception& e) {
        log(std::string("webhook claims: ") + e.what());
      }
      lock.lock();
      run_cv.wait_for(lock, cfg.tick, [&] { return stopping; });
    }
  }

  void webhook_loop() {
    std::int64_t current_page = 0;
    const auto sleep = [this, &current_page](std::chrono::milliseconds d) {
      // Before each retry: keep the claim (covering this wait and the next attempt), or stop if
      // another node has taken it over.
      if (!store->renew_page_webhook(current_page, cfg.node_id,
                                     storage::now_unix_ms() + d.count() + lease().count())) {
        throw ClaimLost{};
      }
      std::unique_lock lock(run_mutex);
      if (run_cv.wait_for(lock, d, [&] { return stopping; })) throw Stopping{};
    };
    std::unique_lock lock(run_mutex);
    for (;;) {
      run_cv.wait(lock, [&] { return stopping || !webhook_jobs.empty(); });
      if (stopping) return;
      WebhookJob job = std::move(webhook_jobs.front());
      webhook_jobs.pop_front();
      lock.unlock();
      current_page = job.page_seq;
      try {
        const WebhookResult result = post_json(*cfg.webhook, job.body, sleep);
        storage::AlertPageDeliveryRow d;
        d.page_seq = job.page_seq;
        d.channel = "webhook";
        d.attempts = static_cast<std::int64_t>(result.attempts.size());
        d.at_ms = now();
        if (result.delivered) {
          d.status = "delivered";
        } else {
          d.status = "failed: " + (result.attempts.empty() ? std::string("no attempt")
                                                           : result.attempts.back().error);
        }
        store->record_delivery(d);
        log("page " + std::to_string(job.page_seq) + ": webhook " + d.status + " after " +
            std::to_string(d.attempts) + " attempt(s)");
      } catch (const Stopping&) {
        return;
      } catch (const ClaimLost&) {
        log("page " + std::to_string(job.page_seq) +
            ": webhook claim taken over by another node; it posts the page");
      } catch (const std::exception& e) {
        log("page " + std::to_string(job.page_seq) + ": webhook: " + e.what());
      }
      lock.lock();
      webhook_inflight.erase(job.page_seq);
    }
  }
};

AlertService::AlertService(AlertServiceConfig config, AlertChannels channels)
    : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(config);
  impl_->channels = std::move(channels);
  if (impl_->cfg.tick <= std::chrono::milliseconds::zero()) {
    throw Error("alert service: tick must be positive");
  }
  if (impl_->cfg.webhook) parse_http_url(impl_->cfg.webhook->url);  // refuse a bad URL now
  if (impl_->cfg.follow_interval < std::chrono::milliseconds::zero()) {
    throw Error("alert service: follow_interval must not be negative");
  }
  if (impl_->cfg.node_id.empty()) impl_->cfg.node_id = default_node_id();
  impl_->store = storage::AlertStore::open(impl_->cfg.db_path, "alerts");
  // Other nodes' changes from now on (what was stored before is in the worklist already).
  impl_->transitions_feed.floor = impl_->store->last_transition_seq();
  impl_->pages_feed.floor = impl_->store->last_page_seq();
}

AlertService::~AlertService() {
  stop();
}

void AlertService::start() {
  {
    std::lock_guard lock(impl_->run_mutex);
    if (impl_->running) return;
    impl_->running = true;
    impl_->stopping = false;
  }
  impl_->requeue_webhooks();
  if (impl_->cfg.webhook) impl_->webhook_worker = std::thread([this] { impl_->webhook_loop(); });
  impl_->timer = std::thread([this] { impl_->timer_loop(); });
  if (impl_->cfg.follow_interval > std::chrono::milliseconds::zero()) {
    impl_->follower = std::thread([this] { impl_->follow_loop(); });
  }
}

void AlertService::stop() {
  {
    std::lock_guard lock(impl_->run_mutex);
    if (!impl_->running) return;
    impl_->stopping = true;
  }
  impl_->run_cv.notify_all();
  if (impl_->timer.joinable()) impl_->timer.join();
  if (impl_->follower.joinable()) impl_->follower.join();
  if (impl_->webhook_worker.joinable()) impl_->webhook_worker.join();
  std::lock_guard lock(impl_->run_mutex);
  impl_->running = false;
  // Still "pending" in alert_pages, the claims given up: posted by this node's next start or by
  // another node's next tick.
  for (const auto page_seq : impl_->webhook_inflight) {
    try {
      impl_->store->release_page_webhook(page_seq, impl_->cfg.node_id);
    } catch (const std::exception& e) {
      impl_->log("page " + std::to_string(page_seq) + ": releasing the webhook claim: " + e.what() +
                 " (another node takes it when the lease runs out)");
    }
  }
  impl_->webhook_jobs.clear();
  impl_->webhook_inflight.clear();
}

void AlertService::alert_raised(std::int64_t alert_id) {
  std::lock_guard op(impl_->op_mutex);
  const auto ctx = impl_->context(alert_id);
  if (auto change = impl_->record_raise(ctx)) impl_->notify(*change, true);
  if (ctx.alert.state == "raised") impl_->page_alert(ctx, impl_->load_roster(), impl_->now());
}

AlertChange AlertService::apply(std::int64_t alert_id, AlertState to, const std::string& actor,
                                const std::string& reason, const std::string& instructions_zh,
                                const std::string& instructions_en) {
  std::lock_guard op(impl_->op_mutex);
  const auto ctx = impl_->context(alert_id);
  // A raise that was never recorded (the hook did not run) is recorded first, so the trail is
  // complete.
  if (auto raised = impl_->record_raise(ctx)) impl_->notify(*raised, true);
  const auto rows = impl_->store->transitions(alert_id);
  AlertLifecycle lc = lifecycle_of(ctx, rows);
  if (key(lc.state()) != ctx.alert.state) {
    throw Error("alert " + std::to_string(alert_id) + ": stored state " + ctx.alert.state +
                " disagrees with its transitions (" + std::string(key(lc.state())) + ")");
  }
  const UnixMs at = std::max(impl_->now(), lc.transitions().back().at_ms);
  lc.apply(AlertTransition{to, at, actor, reason});  // throws when not allowed

  storage::AlertTransitionRow row;
  row.alert_id = alert_id;
  row.from_state = ctx.alert.state;
  row.to_state = std::string(key(to));
  row.at_ms = at;
  row.actor = actor;
  row.reason = reason;
  row.note = note_of(instructions_zh, instructions_en);
  AlertChange change;
  try {
    change = impl_->write_transition(ctx, row, instructions_zh, instructions_en);
  } catch (const storage::Error& e) {
    throw Error(e.what());
  }
  impl_->log("alert " + std::to_string(alert_id) + ": " + row.from_state + " -> " + row.to_state +
             " by " + actor + (reason.empty() ? "" : " (" + reason + ")"));
  impl_->notify(change, true);
  return change;
}

std::vector<AlertTransitionRecord> AlertService::transitions(std::int64_t alert_id) {
  std::vector<AlertTransitionRecord> out;
  for (const auto& r : impl_->store->transitions(alert_id)) out.push_back(to_record(r));
  return out;
}

std::vector<AlertPageRecord> AlertService::pages(std::int64_t alert_id) {
  std::vector<AlertPageRecord> out;
  for (const auto& r : impl_->store->pages(alert_id)) out.push_back(to_record(r));
  return out;
}

void AlertService::tick() {
  std::lock_guard op(impl_->op_mutex);
  impl_->tick_locked();
}

void AlertService::follow() {
  impl_->follow_once();
}

const std::string& AlertService::node_id() const {
  return impl_->cfg.node_id;
}

void AlertService::set_roster(const std::vector<Shift>& shifts) {
  set_roster(shifts, "greenchannel");
}

void AlertService::set_roster(const std::vector<Shift>& shifts, const std::string& actor) {
  Roster check;
  std::vector<storage::OncallShiftRow> rows;
  for (const auto& s : shifts) {
    check.add(s);  // throws on overlaps and empty chains
    rows.push_back(storage::OncallShiftRow{s.start_ms, s.end_ms, s.chain});
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.start_ms < b.start_ms; });
  impl_->store->set_roster(rows, actor);
}

Roster AlertService::roster() {
  return impl_->load_roster();
}

std::vector<Shift> AlertService::roster_shifts() {
  std::vector<Shift> out;
  for (const auto& s : impl_->store->roster()) out.push_back(Shift{s.start_ms, s.end_ms, s.chain});
  return out;
}

std::vector<std::pair<std::int64_t, std::string>> AlertService::pending_cart_updates(
    const std::string& device_id) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (auto& r : impl_->store->pending_cart_updates(device_id)) {
    out.emplace_back(r.id, std::move(r.payload));
  }
  return out;
}

void AlertService::cart_update_delivered(std::int64_t outbox_id) {
  impl_->store->mark_cart_update_delivered(outbox_id, storage::now_unix_ms());
}

}  // namespace gc::workflow
