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
	X(sip, max_pending, INT, sip_max_pending, "200", 1, 100000)             \
	X(trunk, proxy, STR, trunk_proxy, "", 0, 0)                             \
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
	X(api, threads, INT, api_threads, "16", 2, 256)                         \
	X(llm, provider, STR, llm_provider, "none", 0, 0)                       \
	X(llm, base_url, STR, llm_base_url, "", 0, 0)                           \
	X(llm, model, STR, llm_model, "", 0, 0)                                 \
	X(llm, api_key_file, STR, llm_api_key_file, "", 0, 0)                   \
	X(llm, timeout_ms, INT, llm_timeout_ms, "8000", 100, 120000)            \
	X(notify, webhook_url, STR, notify_webhook_url, "", 0, 0)               \
	X(notify, webhook_timeout_ms, INT, notify_webhook_timeout_ms, "5000",   \
	  100, 60000)
