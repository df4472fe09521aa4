/*
 * conf_keys: every key of holdslayer.conf, declared once.  Each daemon reads
 * the whole file and rejects unknown keys, so the complete table lives here.
 * man/holdslayer.conf.5 documents each row; keep the two in step.
 *
 * X(section, key, type, field, default, min, max)
 *   type is STR, INT, DBL or BOOL; min and max bound INT and DBL values.
 *   A STR default of "" means "derived at load time" (see conf.c) or unset.
 */
#define CONF_KEYS(X)                                                           \
	X(general, rundir, STR, rundir, "", 0, 0)                               \
	X(general, datadir, STR, datadir, "", 0, 0)                             \
	X(general, flowsdir, STR, flowsdir, "", 0, 0)                           \
	X(general, log_level, STR, log_level, "info", 0, 0)                     \
	X(general, ctl_timeout_ms, INT, ctl_timeout_ms, "2000", 50, 60000)      \
	X(bus, sipd_pub, STR, sipd_pub, "", 0, 0)                               \
	X(bus, sipd_ctl, STR, sipd_ctl, "", 0, 0)                               \
	X(bus, mediad_pub, STR, mediad_pub, "", 0, 0)                           \
	X(bus, mediad_ctl, STR, mediad_ctl, "", 0, 0)                           \
	X(bus, classifyd_pub, STR, classifyd_pub, "", 0, 0)                     \
	X(bus, classifyd_ctl, STR, classifyd_ctl, "", 0, 0)                     \
	X(bus, ivrd_pub, STR, ivrd_pub, "", 0, 0)                               \
	X(bus, ivrd_ctl, STR, ivrd_ctl, "", 0, 0)                               \
	X(bus, apid_pub, STR, apid_pub, "", 0, 0)                               \
	X(bus, apid_ctl, STR, apid_ctl, "", 0, 0)                               \
	X(bus, notifyd_pub, STR, notifyd_pub, "", 0, 0)                         \
	X(bus, notifyd_ctl, STR, notifyd_ctl, "", 0, 0)                         \
	X(sip, listen, STR, sip_listen, "127.0.0.1:5060", 0, 0)                 \
	X(sip, contact_user, STR, sip_contact_user, "holdslayer", 0, 0)         \
	X(sip, user_agent, STR, sip_user_agent, "HoldSlayer/0.1", 0, 0)         \
	X(sip, invite_timeout_s, INT, sip_invite_timeout_s, "60", 1, 600)       \
	X(sip, dns_servers, STR, sip_dns_servers, "", 0, 0)                     \
	X(sip, session_expires, INT, sip_session_expires, "1800", 90, 86400)    \
	X(sip, min_se, INT, sip_min_se, "90", 90, 86400)                        \
	X(sip, max_pending, INT, sip_max_pending, "200", 1, 100000)             \
	X(sip, phone_digests, STR, sip_phone_digests, "SHA-256 MD5", 0, 0)     \
	X(sip, tls_listen, STR, sip_tls_listen, "", 0, 0)                       \
	X(sip, tls_cert, STR, sip_tls_cert, "", 0, 0)                           \
	X(sip, tls_key, STR, sip_tls_key, "", 0, 0)                             \
	X(sip, tls_ca_file, STR, sip_tls_ca_file, "", 0, 0)                     \
	X(sip, tls_ca_path, STR, sip_tls_ca_path, "", 0, 0)                     \
	X(trunk, proxy, STR, trunk_proxy, "", 0, 0)                             \
	X(trunk, username, STR, trunk_username, "", 0, 0)                       \
	X(trunk, auth_username, STR, trunk_auth_username, "", 0, 0)             \
	X(trunk, password_file, STR, trunk_password_file, "", 0, 0)             \
	X(trunk, password_env, STR, trunk_password_env, "", 0, 0)               \
	X(trunk, realm, STR, trunk_realm, "", 0, 0)                             \
	X(trunk, display_name, STR, trunk_display_name, "", 0, 0)               \
	X(trunk, from_number, STR, trunk_from_number, "", 0, 0)                 \
	X(trunk, outbound_proxy, STR, trunk_outbound_proxy, "", 0, 0)           \
	X(trunk, transport, STR, trunk_transport, "udp", 0, 0)                  \
	X(trunk, tls_fingerprint, STR, trunk_tls_fingerprint, "", 0, 0)         \
	X(trunk, register, BOOL, trunk_register, "no", 0, 0)                    \
	X(trunk, expires, INT, trunk_expires, "3600", 60, 86400)                \
	X(trunk, keepalive_s, INT, trunk_keepalive_s, "30", 0, 3600)            \
	X(media, rtp_addr, STR, rtp_addr, "127.0.0.1", 0, 0)                    \
	X(media, rtp_port_min, INT, rtp_port_min, "16384", 1024, 65534)         \
	X(media, rtp_port_max, INT, rtp_port_max, "32766", 1025, 65535)         \
	X(media, record, BOOL, record, "yes", 0, 0)                             \
	X(media, recordings_dir, STR, recordings_dir, "", 0, 0)                 \
	X(classify, hop_ms, INT, classify_hop_ms, "500", 100, 500)              \
	X(classify, hold_music_s, DBL, classify_hold_music_s, "3.0", 0.5, 60)   \
	X(classify, human_speech_s, DBL, classify_human_speech_s, "0.8", 0.2,   \
	  10)                                                                  \
	X(classify, stt_engine, STR, classify_stt_engine, "pocketsphinx", 0, 0) \
	X(classify, stt_base_url, STR, classify_stt_base_url, "", 0, 0)         \
	X(classify, stt_model, STR, classify_stt_model, "", 0, 0)               \
	X(classify, stt_api_key_file, STR, classify_stt_api_key_file, "", 0, 0) \
	X(classify, stt_timeout_ms, INT, classify_stt_timeout_ms, "10000", 100, \
	  120000)                                                              \
	X(classify, stt_lm, STR, classify_stt_lm, "ivr", 0, 0)                  \
	X(classify, stt_data_dir, STR, classify_stt_data_dir, "", 0, 0)         \
	X(classify, stt_mllr, STR, classify_stt_mllr, "", 0, 0)                 \
	X(ivr, default_device, STR, ivr_default_device, "", 0, 0)               \
	X(ivr, max_call_s, INT, ivr_max_call_s, "7200", 10, 86400)              \
	X(ivr, max_hold_s, INT, ivr_max_hold_s, "5400", 10, 86400)              \
	X(ivr, max_menu_levels, INT, ivr_max_menu_levels, "8", 1, 64)           \
	X(ivr, agent_greeting, STR, ivr_agent_greeting,                         \
	  "Hello, one moment please, I'm connecting the caller now.", 0, 0)    \
	X(ivr, agent_hold_line, STR, ivr_agent_hold_line,                       \
	  "Thank you for waiting, the caller will be with you in a moment.", 0, \
	  0)                                                                   \
	X(ivr, user_answer_s, INT, ivr_user_answer_s, "25", 5, 600)             \
	X(ivr, user_attempts, INT, ivr_user_attempts, "3", 1, 20)               \
	X(api, listen, STR, api_listen, "127.0.0.1:8088", 0, 0)                 \
	X(api, db, STR, api_db, "", 0, 0)                                       \
	X(api, threads, INT, api_threads, "512", 2, 4096)                       \
	X(api, token_file, STR, api_token_file, "", 0, 0)                       \
	X(api, loopback_trusted, BOOL, api_loopback_trusted, "no", 0, 0)        \
	X(api, allowed_origins, STR, api_allowed_origins, "", 0, 0)             \
	X(api, allowed_sip_hosts, STR, api_allowed_sip_hosts, "", 0, 0)         \
	X(api, www_dir, STR, api_www_dir, "", 0, 0)                             \
	X(api, request_timeout_ms, INT, api_request_timeout_ms, "10000", 500,   \
	  600000)                                                              \
	X(llm, provider, STR, llm_provider, "none", 0, 0)                       \
	X(llm, base_url, STR, llm_base_url, "", 0, 0)                           \
	X(llm, model, STR, llm_model, "", 0, 0)                                 \
	X(llm, api_key_file, STR, llm_api_key_file, "", 0, 0)                   \
	X(llm, timeout_ms, INT, llm_timeout_ms, "8000", 100, 120000)            \
	X(notify, webhook_url, STR, notify_webhook_url, "", 0, 0)               \
	X(notify, webhook_timeout_ms, INT, notify_webhook_timeout_ms, "5000",   \
	  100, 60000)                                                            \
	X(notify, webhook_secret_file, STR, notify_webhook_secret_file, "", 0, \
	  0)                                                                   \
	X(notify, email_url, STR, notify_email_url, "", 0, 0)                   \
	X(notify, email_from, STR, notify_email_from, "", 0, 0)                 \
	X(notify, email_to, STR, notify_email_to, "", 0, 0)                     \
	X(notify, email_user, STR, notify_email_user, "", 0, 0)                 \
	X(notify, email_password_file, STR, notify_email_password_file, "", 0, \
	  0)                                                                   \
	X(notify, email_starttls, BOOL, notify_email_starttls, "yes", 0, 0)     \
	X(notify, sms_provider, STR, notify_sms_provider, "", 0, 0)             \
	X(notify, sms_url, STR, notify_sms_url, "", 0, 0)                       \
	X(notify, sms_account_sid, STR, notify_sms_account_sid, "", 0, 0)       \
	X(notify, sms_token_file, STR, notify_sms_token_file, "", 0, 0)         \
	X(notify, sms_from, STR, notify_sms_from, "", 0, 0)                     \
	X(notify, sms_to, STR, notify_sms_to, "", 0, 0)                         \
	X(notify, push_url, STR, notify_push_url, "", 0, 0)                     \
	X(notify, push_token_file, STR, notify_push_token_file, "", 0, 0)       \
	X(notify, desktop_bus, STR, notify_desktop_bus, "", 0, 0)               \
	X(notify, ca_file, STR, notify_ca_file, "", 0, 0)                       \
	X(notify, outbox, STR, notify_outbox, "", 0, 0)                         \
	X(notify, urgent_deadline_s, INT, notify_urgent_deadline_s, "600", 1,   \
	  604800)                                                              \
	X(notify, deadline_s, INT, notify_deadline_s, "86400", 1, 604800)       \
	X(notify, retry_min_ms, INT, notify_retry_min_ms, "1000", 50, 600000)   \
	X(notify, retry_max_ms, INT, notify_retry_max_ms, "60000", 50,          \
	  3600000)                                                             \
	X(notify, route_human_suspected, STR, notify_route_human_suspected,     \
	  "webhook desktop push", 0, 0)                                        \
	X(notify, route_human_detected, STR, notify_route_human_detected,       \
	  "all", 0, 0)                                                         \
	X(notify, route_human_retracted, STR, notify_route_human_retracted,     \
	  "webhook desktop push", 0, 0)                                        \
	X(notify, route_transfer_retry, STR, notify_route_transfer_retry,       \
	  "all", 0, 0)                                                         \
	X(notify, route_info_missing, STR, notify_route_info_missing,           \
	  "webhook email desktop push", 0, 0)                                  \
	X(notify, route_hold_eta, STR, notify_route_hold_eta, "webhook desktop",\
	  0, 0)                                                                \
	X(notify, route_call_ended, STR, notify_route_call_ended,               \
	  "webhook email desktop push", 0, 0)                                  \
	X(notify, route_call_failed, STR, notify_route_call_failed,             \
	  "webhook email desktop push", 0, 0)
