// Event ids and LeadEvent records: the envelope contract of common.proto, checked against digests
// computed independently (Python's hashlib/hmac).
#include "gtest/gtest.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"

namespace leadflow::events {
namespace {

TEST(EventIdTest, IsTheFirst16BytesOfSha256OfCauseKindAndIndexAsAUuid) {
  // hashlib.sha256(b"submission:webform:abc/admitted/0").hexdigest()[:32]
  EXPECT_EQ(EventId("submission:webform:abc", "admitted"), "4341218f-a991-7a08-17f2-ac9e53ba243d");
  EXPECT_EQ(EventId("submission:webform:abc", "admitted", 0),
            EventId("submission:webform:abc", "admitted"));
  EXPECT_NE(EventId("submission:webform:abc", "admitted", 1),
            EventId("submission:webform:abc", "admitted"));
  EXPECT_NE(EventId("submission:webform:abc", "captured"),
            EventId("submission:webform:abc", "admitted"));
}

TEST(EventIdTest, HmacIsKeyed) {
  // hmac.new(b"secret", b"jane@example.com", hashlib.sha256).hexdigest()[:32]
  EXPECT_EQ(UuidFromDigest(HmacSha256("secret", "jane@example.com")),
            "fb817989-d942-e7ff-b3d4-b8b204f7abca");
  EXPECT_NE(HmacSha256("other", "jane@example.com"), HmacSha256("secret", "jane@example.com"));
  EXPECT_EQ(Sha256("").size(), 32U);
}

TEST(EventIdTest, HmacMatchesRfc4231AcrossKeysAndRepeats) {
  // RFC 4231 test case 2; then another key, then the first again: the per-thread keyed context
  // follows the key, and a repeat gives the same MAC.
  const std::string kCase2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")), kCase2);
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")), kCase2);
  EXPECT_EQ(HexEncode(HmacSha256("secret", "jane@example.com")),
            "fb817989d942e7ffb3d4b8b204f7abca29f4c25c3fa46574da84c50f30d07513");
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")), kCase2);
  // An empty key takes the one-shot path: hmac.new(b"", b"", sha256).
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(LeadEventsTest, RecordIsKeyedByLeadIdWithTheDocumentedHeaders) {
  v1::LeadEvent event;
  event.mutable_envelope()->set_lead_id("lead-1");
  event.mutable_envelope()->set_trace_parent(
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  event.mutable_captured()->set_email_normalized("jane@example.com");
  const kafka::OutgoingRecord r = LeadEventRecord("leadflow.leads.v1", event);
  EXPECT_EQ(r.topic, "leadflow.leads.v1");
  EXPECT_EQ(r.key, "lead-1");
  v1::LeadEvent back;
  ASSERT_TRUE(back.ParseFromString(*r.value));
  EXPECT_EQ(back.captured().email_normalized(), "jane@example.com");
  EXPECT_EQ(r.headers,
            (kafka::Headers{
                {"leadflow-event-type", "captured"},
                {"content-type", "application/x-protobuf; message=leadflow.v1.LeadEvent"},
                {"traceparent", event.envelope().trace_parent()},
            }));
  EXPECT_EQ(EventKind(v1::LeadEvent()), "");
}

TEST(LeadEventsTest, TimestampsRoundTripIncludingBeforeTheEpoch) {
  for (int64_t ms : {0LL, 1LL, 999LL, 1'700'000'000'123LL, -1LL, -1001LL}) {
    const google::protobuf::Timestamp t = TimestampFromMillis(ms);
    EXPECT_GE(t.nanos(), 0) << ms;
    EXPECT_LT(t.nanos(), 1'000'000'000) << ms;
    EXPECT_EQ(MillisFromTimestamp(t), ms);
  }
}

}  // namespace
}  // namespace leadflow::events
