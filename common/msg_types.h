/*
 * msg_types: every bus event type, declared once.  The public ones are the
 * event stream of DESIGN.md section 4; the internal ones are marked.  Each is
 * documented (publisher, subscribers, fields, example) in
 * man/holdslayer-bus.7, the contract for third-party ZeroMQ integrations.
 *
 * X(name, publisher)
 */
#define MSG_TYPES(X)                                                           \
	X(call_started, "apid")                                                \
	X(call_ringing, "sipd")                                                \
	X(call_connected, "sipd")                                              \
	X(call_ended, "sipd")                                                  \
	X(call_failed, "sipd,ivrd")                                            \
	X(call_held, "sipd")                                                   \
	X(call_resumed, "sipd")                                                \
	X(hold_detected, "classifyd")                                          \
	X(human_suspected, "classifyd")                                        \
	X(human_detected, "classifyd")                                         \
	X(human_retracted, "classifyd")                                        \
	X(transfer_started, "ivrd")                                            \
	X(transfer_complete, "ivrd")                                           \
	X(transfer_retry, "ivrd")                                              \
	X(ivr_step, "ivrd")                                                    \
	X(ivr_dtmf_sent, "ivrd")                                               \
	X(ivr_menu_detected, "ivrd")                                           \
	X(info_missing, "ivrd")                                                \
	X(audio_classified, "classifyd")                                       \
	X(transcript_chunk, "classifyd")                                       \
	X(hold_eta, "classifyd")                                               \
	X(recording_started, "mediad")                                         \
	X(recording_stopped, "mediad")                                         \
	X(registration, "sipd")                                                \
	X(phone_registered, "sipd")                                            \
	X(phone_unregistered, "sipd")                                          \
	/* internal: */                                                        \
	X(call_state, "ivrd")                                                  \
	X(dtmf_received, "mediad")                                             \
	X(notify_sent, "notifyd")                                              \
	X(notify_failed, "notifyd")
