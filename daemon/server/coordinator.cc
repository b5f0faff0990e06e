#include "daemon/server/coordinator.h"

namespace lockstep {

using SteadyClock = std::chrono::steady_clock;

Coordinator::Coordinator(std::function<std::unique_ptr<Database>()> open,
                         std::chrono::milliseconds interval, bool lease,
                         std::function<void(bool)> on_change)
    : open_(std::move(open)),
      interval_(interval),
      lease_(lease),
      on_change_(std::move(on_change)) {}

Coordinator::~Coordinator() { Stop(); }

void Coordinator::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Coordinator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (db_) {
    db_->Unlock();  // a lease row is deleted; an advisory lock goes with the session anyway
    db_.reset();
  }
}

bool Coordinator::leading() const {
  std::lock_guard<std::mutex> lock(mu_);
  return holding_ && SteadyClock::now() - last_check_ < 2 * interval_;
}

std::string Coordinator::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return holding_ ? "" : leader_;
}

bool Coordinator::Sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !wake_.wait_for(lock, d, [this] { return stop_; });
}

bool Coordinator::StillHeld() {
  if (lease_) {
    bool acquired = false;
    LockHolder holder;
    return db_->TryLock(&acquired, &holder).ok() && acquired;  // renews our own lease
  }
  std::vector<std::string> rows;
  return db_->QueryNames("SELECT 1", &rows).ok();  // the session, and its lock, live
}

void Coordinator::Loop() {
  auto set_holding = [this](bool holding, const std::string& leader) {
    bool changed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      changed = holding_ != holding;
      holding_ = holding;
      if (holding) last_check_ = SteadyClock::now();
      leader_ = leader;
    }
    if (changed) on_change_(holding);
  };
  while (true) {
    if (holding_) {
      if (!Sleep(interval_)) return;
      if (StillHeld()) {
        std::lock_guard<std::mutex> lock(mu_);
        last_check_ = SteadyClock::now();
        continue;
      }
      db_.reset();
      set_holding(false, "");
      continue;
    }
    if (!db_) {
      db_ = open_();
      if (db_ && !db_->Open().ok()) db_.reset();
    }
    bool acquired = false;
    LockHolder holder;
    if (db_ && !db_->TryLock(&acquired, &holder).ok()) db_.reset();
    if (db_ && acquired) {
      // Wait out any old leader before leading (see the header).
      if (!Sleep(3 * interval_)) return;
      if (StillHeld()) {
        set_holding(true, "");
        continue;
      }
      db_.reset();
    } else if (db_) {
      std::lock_guard<std::mutex> lock(mu_);
      leader_ = holder.ToString();
    }
    if (!Sleep(interval_)) return;
  }
}

}  // namespace lockstep
