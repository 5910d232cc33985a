// A Kafka broker of one test's own (the shared one must not restart or change under other tests),
// started by scripts/kafka.sh in its own run dir on pinned ports, so clients find it again after a
// restart; optionally secured (KAFKA_SECURITY=sasl_ssl: TLS and SASL on the client listener).
// Stopped and purged when it goes away (stopped only, after KeepData()).
#pragma once

#include <string>

#include "services/common/kafka/properties.h"

namespace leadflow::testing {

class OwnBroker {
 public:
  // `security`: "plaintext" or "sasl_ssl" (scripts/kafka.sh KAFKA_SECURITY).
  explicit OwnBroker(std::string run_dir, std::string security = "plaintext");
  ~OwnBroker();
  OwnBroker(const OwnBroker&) = delete;
  OwnBroker& operator=(const OwnBroker&) = delete;

  // Starts it (again) and returns its bootstrap address; "" after a gtest failure.
  std::string Start();
  // SIGKILLs the broker and waits until it is gone (gtest assertions).
  void KillNine();
  // The librdkafka properties a client needs (the run dir's client.properties; none when plain).
  kafka::Properties ClientSecurity() const;
  const std::string& run_dir() const { return run_dir_; }
  // Stops it without purging: its topics stay on disk for a look after the test.
  void KeepData() { keep_data_ = true; }

 private:
  std::string Script(const std::string& args);

  std::string run_dir_;
  std::string security_;
  int port_ = 0;
  int controller_port_ = 0;
  bool keep_data_ = false;
};

}  // namespace leadflow::testing
