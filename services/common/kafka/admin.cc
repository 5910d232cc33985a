// Admin operations through librdkafka's C admin API (the C++ API has none).
#include "services/common/kafka/admin.h"

#include "librdkafka/rdkafka.h"
#include "librdkafka/rdkafkacpp.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/client_events.h"

namespace leadflow::kafka {
namespace {

// unique_ptr deleters for the C admin objects.
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using Options = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>;

absl::StatusOr<Options> MakeOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op,
                                    std::chrono::milliseconds timeout) {
  Options options(rd_kafka_AdminOptions_new(rk, op));
  char errstr[512];
  if (rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                                  errstr,
                                                  sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                                errstr,
                                                sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(leadflow::StrCat("kafka admin options: ", errstr));
  }
  return options;
}

// Waits for the admin result event of one request (with a margin over the request timeout).
absl::StatusOr<Event> AwaitResult(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout,
                                  std::string_view what) {
  Event event(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 5000));
  if (event == nullptr) {
    return absl::DeadlineExceededError(
        leadflow::StrCat("kafka ", what, ": no answer within ", timeout.count(), " ms"));
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafkaError(rd_kafka_event_error(event.get()), leadflow::StrCat("kafka ", what),
                          rd_kafka_event_error_string(event.get()));
  }
  return event;
}

absl::Status TopicResults(const rd_kafka_topic_result_t** results, size_t count,
                          std::string_view what, bool ignore_existing) {
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (ignore_existing && err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    const char* msg = rd_kafka_topic_result_error_string(results[i]);
    return FromKafkaError(
        err, leadflow::StrCat("kafka ", what, " '", rd_kafka_topic_result_name(results[i]), "'"),
        msg == nullptr ? "" : msg);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Admin>> Admin::Create(const Properties& properties) {
  auto bootstrap = properties.find("bootstrap.servers");
  if (bootstrap == properties.end() || bootstrap->second.empty()) {
    return absl::InvalidArgumentError("kafka property 'bootstrap.servers' is required");
  }
  LF_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, MakeConf(properties));
  auto admin = std::unique_ptr<Admin>(new Admin());
  admin->bootstrap_ = bootstrap->second;
  admin->events_ = std::make_unique<ClientEvents>("admin");
  std::string errstr;
  if (conf->set("event_cb", admin->events_.get(), errstr) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(leadflow::StrCat("kafka admin callbacks: ", errstr));
  }
  admin->handle_.reset(RdKafka::Producer::create(conf.get(), errstr));
  if (admin->handle_ == nullptr) {
    return absl::InvalidArgumentError(leadflow::StrCat("kafka admin client: ", errstr));
  }
  return admin;
}

Admin::~Admin() = default;

absl::StatusOr<ClusterInfo> Admin::Describe(std::chrono::milliseconds timeout) {
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode err =
      handle_->metadata(/*all_topics=*/true, nullptr, &raw, static_cast<int>(timeout.count()));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (err != RdKafka::ERR_NO_ERROR) {
    const std::string last = events_->last_error();
    return absl::UnavailableError(leadflow::StrCat(
        "kafka: no broker answered at ", bootstrap_, " within ", timeout.count(), " ms (",
        RdKafka::err2str(err), last.empty() ? "" : "; last error: ", last, ")"));
  }
  ClusterInfo info;
  info.controller_id = metadata->orig_broker_id();
  for (const RdKafka::BrokerMetadata* b : *metadata->brokers()) {
    info.brokers.push_back(leadflow::StrCat(b->host(), ":", b->port()));
  }
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->err() == RdKafka::ERR_NO_ERROR) {
      info.topics.emplace(t->topic(), static_cast<int>(t->partitions()->size()));
    }
  }
  if (char* id = rd_kafka_clusterid(handle_->c_ptr(), 0); id != nullptr) {
    info.cluster_id = id;
    rd_kafka_mem_free(handle_->c_ptr(), id);
  }
  return info;
}

absl::Status Admin::CreateTopics(const std::vector<TopicSpec>& topics,
                                 std::chrono::milliseconds timeout, bool ignore_existing) {
  rd_kafka_t* rk = handle_->c_ptr();
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  struct Cleanup {
    std::vector<rd_kafka_NewTopic_t*>* items;
    ~Cleanup() { rd_kafka_NewTopic_destroy_array(items->data(), items->size()); }
  } cleanup{&new_topics};
  char errstr[512];
  for (const TopicSpec& spec : topics) {
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(
        spec.name.c_str(), spec.partitions, spec.replication_factor, errstr, sizeof(errstr));
    if (nt == nullptr) {
      return absl::InvalidArgumentError(leadflow::StrCat("topic '", spec.name, "': ", errstr));
    }
    new_topics.push_back(nt);
    for (const auto& [k, v] : spec.configs) {
      LF_RETURN_IF_ERROR(FromKafkaError(rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str()),
                                        leadflow::StrCat("topic '", spec.name, "' config ", k)));
    }
  }
  LF_ASSIGN_OR_RETURN(Options options, MakeOptions(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout));
  Queue queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), options.get(), queue.get());
  LF_ASSIGN_OR_RETURN(Event event, AwaitResult(queue.get(), timeout, "create topics"));
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  if (result == nullptr) return absl::InternalError("kafka create topics: unexpected event");
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  return TopicResults(results, count, "create topic", ignore_existing);
}

absl::Status Admin::DeleteTopics(const std::vector<std::string>& topics,
                                 std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = handle_->c_ptr();
  std::vector<rd_kafka_DeleteTopic_t*> items;
  struct Cleanup {
    std::vector<rd_kafka_DeleteTopic_t*>* items;
    ~Cleanup() { rd_kafka_DeleteTopic_destroy_array(items->data(), items->size()); }
  } cleanup{&items};
  for (const std::string& t : topics) items.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  LF_ASSIGN_OR_RETURN(Options options, MakeOptions(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout));
  Queue queue(rd_kafka_queue_new(rk));
  rd_kafka_DeleteTopics(rk, items.data(), items.size(), options.get(), queue.get());
  LF_ASSIGN_OR_RETURN(Event event, AwaitResult(queue.get(), timeout, "delete topics"));
  const rd_kafka_DeleteTopics_result_t* result = rd_kafka_event_DeleteTopics_result(event.get());
  if (result == nullptr) return absl::InternalError("kafka delete topics: unexpected event");
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(result, &count);
  return TopicResults(results, count, "delete topic", false);
}

absl::Status CheckBrokers(const Properties& properties, std::chrono::milliseconds timeout) {
  LF_ASSIGN_OR_RETURN(std::unique_ptr<Admin> admin, Admin::Create(properties));
  return admin->Describe(timeout).status();
}

}  // namespace leadflow::kafka
