// Client event handling shared by producers and consumers.
#include "services/common/kafka/client_events.h"

#include "services/common/base/strings.h"
#include "services/common/log/log.h"

namespace leadflow::kafka {

void ClientEvents::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR: {
      const std::string text = leadflow::StrCat(RdKafka::err2str(event.err()), ": ", event.str());
      bool log_it = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_error_ = text;
        // librdkafka repeats connection errors every retry; one line per code per 10 s is enough.
        const auto now = std::chrono::steady_clock::now();
        auto& last = last_logged_[static_cast<int>(event.err())];
        if (now - last > std::chrono::seconds(10)) {
          last = now;
          log_it = true;
        }
      }
      if (event.fatal()) {
        fatal_.store(true);
        log::Error("kafka fatal error", {{"client", kind_}, {"error", text}});
      } else if (log_it) {
        log::Warn("kafka client error", {{"client", kind_}, {"error", text}});
      }
      break;
    }
    case RdKafka::Event::EVENT_LOG:
      log::Debug("kafka log", {{"client", kind_}, {"facility", event.fac()}, {"msg", event.str()}});
      break;
    default:
      break;
  }
}

std::string ClientEvents::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

}  // namespace leadflow::kafka
