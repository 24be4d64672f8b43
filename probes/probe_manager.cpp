#include "probe_manager.hpp"

#include "text_util.hpp"

namespace skiff::probes {

namespace {
constexpr size_t kinds = 3;
size_t index(ProbeKind k) {
  return static_cast<size_t>(k);
}
}  // namespace

struct ProbeManager::Worker {
  Worker(ProbeKind kind, ProbeSpec spec, size_t history_size)
      : sm(kind, std::move(spec)), history(history_size) {}
  ProbeWorker sm;
  ProbeHistory history;
  ProbeMetrics::SeriesId series = 0;
  Scheduler::TimerId timer = 0;
  TimePoint next_tick{};
  bool first = true;  // the first run (after the jitter) has not happened yet
  bool busy = false;  // inside a run: ticking, or the action is out
  bool pending_tick = false;
  bool pending_manual = false;
  std::unique_ptr<ProbeOperation> op;
  std::string instance;  // what the running action probes
  int attempts = 0;
  TimePoint run_started{};
};

struct ProbeManager::Entry {
  ContainerRef ref;
  ProbeTarget target;
  PodState pod;
  ContainerStatus status;
  std::array<std::unique_ptr<Worker>, kinds> workers;
  bool last_started = false;
  bool last_ready = false;
};

// Defers callbacks to the end of the outermost call into the manager.
struct Batch {
  explicit Batch(int& depth, std::function<void()> at_end) : depth_(depth), end_(std::move(at_end)) {
    ++depth_;
  }
  ~Batch() {
    if (--depth_ == 0) end_();
  }
  int& depth_;
  std::function<void()> end_;
};

std::string kill_message(const std::string& container, ProbeKind kind) {
  return "Container " + container + " failed " + (kind == ProbeKind::liveness ? "liveness" : "startup") +
         " probe, will be restarted";
}

ProbeManager::ProbeManager(Scheduler& scheduler, ProbeRunner& runner, ProbeCallbacks callbacks,
                           ProbeManagerOptions options)
    : sched_(scheduler),
      runner_(runner),
      cb_(std::move(callbacks)),
      opt_(std::move(options)),
      start_(scheduler.now()),
      prng_(std::random_device{}()) {
  if (opt_.max_attempts < 1) opt_.max_attempts = 1;
}

ProbeManager::~ProbeManager() {
  for (auto& [h, e] : entries_)
    for (auto& w : e->workers)
      if (w && w->timer) sched_.cancel(w->timer);
}

void ProbeManager::notify(std::function<void()> fn) {
  pending_.push_back(std::move(fn));
}

void ProbeManager::flush() {
  while (!pending_.empty()) {
    auto batch = std::move(pending_);
    pending_.clear();
    ++depth_;  // a callback calling back into us queues its own callbacks behind these
    for (auto& fn : batch) {
      try {
        fn();
      } catch (...) {
        // A listener's failure is its own: the manager's state is already consistent.
      }
    }
    --depth_;
  }
}

ProbeManager::Entry* ProbeManager::find(Handle h) {
  auto it = entries_.find(h);
  return it == entries_.end() ? nullptr : it->second.get();
}
const ProbeManager::Entry* ProbeManager::find(Handle h) const {
  auto it = entries_.find(h);
  return it == entries_.end() ? nullptr : it->second.get();
}

ProbeManager::Worker* ProbeManager::worker(Handle h, ProbeKind kind) {
  Entry* e = find(h);
  return e ? e->workers[index(kind)].get() : nullptr;
}

ProbeManager::Handle ProbeManager::add(ContainerRef ref, ProbeTarget target, ContainerProbes probes,
                                       PodState pod) {
  Batch batch(depth_, [this] { flush(); });
  Handle h = next_++;
  auto e = std::make_unique<Entry>();
  e->ref = std::move(ref);
  e->target = std::move(target);
  e->pod = pod;
  std::optional<ProbeSpec>* specs[kinds] = {&probes.liveness, &probes.readiness, &probes.startup};
  TimePoint now = sched_.now();
  for (size_t i = 0; i < kinds; ++i) {
    if (!*specs[i]) continue;
    auto kind = static_cast<ProbeKind>(i);
    auto w = std::make_unique<Worker>(kind, std::move(**specs[i]), opt_.history);
    w->series = metrics_.add({e->ref.namespace_name, e->ref.pod, e->ref.pod_uid, e->ref.container, kind});
    e->workers[i] = std::move(w);
  }
  entries_[h] = std::move(e);
  for (size_t i = 0; i < kinds; ++i) {
    Worker* w = entries_[h]->workers[i].get();
    if (!w) continue;
    // worker.run: right after a (re)start of the prober, the first run waits a random part of a period.
    auto period = std::chrono::seconds(w->sm.spec().period_seconds);
    TimePoint first = now;
    if (period > now - start_) {
      double r = opt_.random ? opt_.random() : std::uniform_real_distribution<double>(0, 1)(prng_);
      first += std::chrono::duration_cast<Clock::duration>(period * r);
    }
    schedule(h, static_cast<ProbeKind>(i), first);
  }
  return h;
}

void ProbeManager::remove(Handle h) {
  Batch batch(depth_, [this] { flush(); });
  Entry* e = find(h);
  if (!e) return;
  for (size_t i = 0; i < kinds; ++i) stop_worker(h, static_cast<ProbeKind>(i));
  entries_.erase(h);
}

void ProbeManager::update_target(Handle h, ProbeTarget target) {
  if (Entry* e = find(h)) e->target = std::move(target);
}

void ProbeManager::set_container(Handle h, const ContainerStatus& status) {
  Batch batch(depth_, [this] { flush(); });
  Entry* e = find(h);
  if (!e) return;
  e->status = status;
  update_status(h);
}

void ProbeManager::set_pod(Handle h, const PodState& pod) {
  Batch batch(depth_, [this] { flush(); });
  Entry* e = find(h);
  if (!e) return;
  e->pod = pod;
  update_status(h);
}

void ProbeManager::sync(Handle h) {
  Batch batch(depth_, [this] { flush(); });
  update_status(h);
}

bool ProbeManager::started(const Entry& e) const {
  // isContainerStarted: running, and the startup probe's result for this instance is Success; with a
  // startup worker but no result for this instance yet, not started; with no startup probe, started.
  if (e.status.phase != ContainerState::Phase::running) return false;
  const Worker* s = e.workers[index(ProbeKind::startup)].get();
  if (!s) return true;
  return s->sm.instance() == e.status.instance_id && s->sm.result() == Verdict::success;
}

bool ProbeManager::ready(const Entry& e) const {
  if (!started(e)) return false;
  const Worker* r = e.workers[index(ProbeKind::readiness)].get();
  if (!r) return true;
  return r->sm.instance() == e.status.instance_id && r->sm.result() == Verdict::success;
}

bool ProbeManager::started(Handle h) const {
  const Entry* e = find(h);
  return e && started(*e);
}
bool ProbeManager::ready(Handle h) const {
  const Entry* e = find(h);
  return e && ready(*e);
}

std::optional<Verdict> ProbeManager::result(Handle h, ProbeKind kind) const {
  const Entry* e = find(h);
  if (!e || !e->workers[index(kind)]) return std::nullopt;
  const Worker& w = *e->workers[index(kind)];
  if (w.sm.instance() != e->status.instance_id) return std::nullopt;
  return w.sm.result();
}

std::vector<ProbeRecord> ProbeManager::history(Handle h, ProbeKind kind) const {
  const Entry* e = find(h);
  if (!e || !e->workers[index(kind)]) return {};
  return e->workers[index(kind)]->history.records();
}

void ProbeManager::update_status(Handle h) {
  Entry* e = find(h);
  if (!e) return;
  bool s = started(*e);
  // UpdatePodStatus: a started container without a readiness Success has its readiness probe run now.
  // Not when readiness itself just published: its run is the one under way (on a kubelet the trigger
  // then races the run, and mostly finds it done).
  if (s && e->workers[index(ProbeKind::readiness)] && !ready(*e) && publishing_ != ProbeKind::readiness)
    trigger(h, ProbeKind::readiness);
  e = find(h);
  if (!e) return;
  s = started(*e);
  bool r = ready(*e);
  if (s == e->last_started && r == e->last_ready) return;
  e->last_started = s;
  e->last_ready = r;
  if (cb_.status_changed) notify([this, ref = e->ref, s, r] { cb_.status_changed(ref, s, r); });
}

void ProbeManager::schedule(Handle h, ProbeKind kind, TimePoint when) {
  Worker* w = worker(h, kind);
  if (!w) return;
  if (w->timer) sched_.cancel(w->timer);
  if (!w->first) w->next_tick = when;
  if (opt_.timer_slack.count() > 0) {
    auto grid = std::chrono::duration_cast<Clock::duration>(opt_.timer_slack);
    auto since = when.time_since_epoch();
    when = TimePoint((since + grid - Clock::duration(1)) / grid * grid);
  }
  w->timer = sched_.at(when, [this, h, kind] { on_timer(h, kind); });
}

void ProbeManager::on_timer(Handle h, ProbeKind kind) {
  Batch batch(depth_, [this] { flush(); });
  Worker* w = worker(h, kind);
  if (!w) return;
  w->timer = 0;
  TimePoint now = sched_.now();
  auto period = std::chrono::seconds(w->sm.spec().period_seconds);
  if (w->first) {
    // The ticker starts with the first run, as time.NewTicker right before the loop.
    w->first = false;
    schedule(h, kind, now + period);
    run(h, kind);
    return;
  }
  // A ticker keeps its phase and drops the ticks a slow run missed; one tick waits in its channel.
  TimePoint next = w->next_tick + period;
  while (next <= now) next += period;
  schedule(h, kind, next);
  if (w->busy) {
    w->pending_tick = true;
  } else {
    run(h, kind);
  }
}

void ProbeManager::trigger(Handle h, ProbeKind kind) {
  Worker* w = worker(h, kind);
  if (!w) return;
  if (w->first || w->busy) {
    w->pending_manual = true;  // manualTriggerCh holds one
    return;
  }
  // A manual run restarts the ticker's period from now (probeTicker.Reset).
  schedule(h, kind, sched_.now() + std::chrono::seconds(w->sm.spec().period_seconds));
  run(h, kind);
}

void ProbeManager::run(Handle h, ProbeKind kind) {
  Entry* e = find(h);
  Worker* w = worker(h, kind);
  if (!w) return;
  w->busy = true;
  ContainerState c{e->status.instance_id, e->status.phase, e->status.started_at, started(*e)};
  TimePoint now = sched_.now();
  auto step = w->sm.tick(now, e->pod, c);
  if (step.change) publish(h, kind, *step.change, "");
  w = worker(h, kind);
  if (!w) return;
  if (step.action == ProbeWorker::Action::stop) {
    stop_worker(h, kind);
    update_status(h);
    return;
  }
  if (step.action == ProbeWorker::Action::probe) {
    w->instance = w->sm.instance();
    w->run_started = now;
    w->attempts = 0;
    attempt(h, kind);
    return;
  }
  after_run(h, kind);
}

void ProbeManager::after_run(Handle h, ProbeKind kind) {
  Worker* w = worker(h, kind);
  w->busy = false;
  // What came while the worker was busy, as the worker's select finds its channels afterwards.
  if (w->pending_manual) {
    w->pending_manual = false;
    w->pending_tick = false;
    trigger(h, kind);
  } else if (w->pending_tick) {
    w->pending_tick = false;
    run(h, kind);
  }
}

void ProbeManager::attempt(Handle h, ProbeKind kind) {
  Entry* e = find(h);
  Worker* w = worker(h, kind);
  ++w->attempts;
  auto timeout = std::chrono::seconds(w->sm.spec().timeout_seconds);
  w->op = runner_.start(w->sm.spec().handler, e->target, timeout,
                        [this, h, kind](ProbeOutcome o) { finished(h, kind, std::move(o)); });
}

void ProbeManager::finished(Handle h, ProbeKind kind, ProbeOutcome outcome) {
  Batch batch(depth_, [this] { flush(); });
  Entry* e = find(h);
  Worker* w = worker(h, kind);
  if (!w) return;
  // The operation calls us as its last act; destroying it here is part of its contract.
  w->op.reset();
  if (outcome.is_error && w->attempts < opt_.max_attempts) return attempt(h, kind);
  outcome.message = valid_utf8(outcome.message);
  TimePoint now = sched_.now();
  w->history.add({sched_.wall_now(), outcome.result, outcome.is_error, outcome.duration, outcome.message});
  const std::string kind_text = kind_name(kind);
  if (outcome.is_error) {
    std::string msg = kind_text + " probe errored and resulted in " + result_name(outcome.result) +
                      " state: " + outcome.message;
    if (cb_.event)
      notify([this, ref = e->ref, kind, msg] { cb_.event(ref, kind, {ProbeEvent::Type::unhealthy, msg}); });
  } else {
    bool ok = outcome.result == Result::success || outcome.result == Result::warning;
    double seconds = std::chrono::duration<double>(now - w->run_started).count();
    metrics_.record(w->series, ok ? ProbeMetrics::Counted::successful : ProbeMetrics::Counted::failed,
                    seconds);
    std::optional<ProbeEvent> ev;
    if (outcome.result == Result::failure)
      ev = ProbeEvent{ProbeEvent::Type::unhealthy, kind_text + " probe failed: " + outcome.message};
    if (outcome.result == Result::warning)
      ev = ProbeEvent{ProbeEvent::Type::probe_warning, kind_text + " probe warning: " + outcome.message};
    if (ev && cb_.event) notify([this, ref = e->ref, kind, ev = *ev] { cb_.event(ref, kind, ev); });
  }
  auto change = w->sm.complete(outcome, w->instance);
  if (change) publish(h, kind, *change, outcome.message);
  w = worker(h, kind);
  if (!w) return;
  after_run(h, kind);
}

void ProbeManager::publish(Handle h, ProbeKind kind, const ProbeWorker::Change& change,
                           const std::string& message) {
  Entry* e = find(h);
  if (!e) return;
  if (cb_.result_changed) {
    ProbeChange pc{kind, change.instance_id, change.verdict, change.from_probe, message};
    notify([this, ref = e->ref, pc] { cb_.result_changed(ref, pc); });
  }
  // The kubelet syncs the pod on every published result, regenerating its status.
  auto outer = publishing_;
  publishing_ = kind;
  update_status(h);
  publishing_ = outer;
}

void ProbeManager::stop_worker(Handle h, ProbeKind kind) {
  Entry* e = find(h);
  if (!e || !e->workers[index(kind)]) return;
  Worker& w = *e->workers[index(kind)];
  if (w.timer) sched_.cancel(w.timer);
  metrics_.remove(w.series);
  e->workers[index(kind)].reset();  // cancels a running action
}

}  // namespace skiff::probes
