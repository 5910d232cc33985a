// librdkafka's event callback for one client: logs client errors (rate-limited per error code),
// remembers the last one for error messages, and flags fatal errors.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "librdkafka/rdkafkacpp.h"

namespace leadflow::kafka {

class ClientEvents : public RdKafka::EventCb {
 public:
  explicit ClientEvents(std::string client_kind) : kind_(std::move(client_kind)) {}
  void event_cb(RdKafka::Event& event) override;

  // "Local: Broker transport failure: 127.0.0.1:9092/bootstrap: Connect failed..." or empty.
  std::string last_error() const;
  bool fatal() const { return fatal_.load(); }

 private:
  std::string kind_;
  mutable std::mutex mu_;
  std::string last_error_;
  std::map<int, std::chrono::steady_clock::time_point> last_logged_;
  std::atomic<bool> fatal_{false};
};

}  // namespace leadflow::kafka
