# plugin/profile: the authorize entry point: TikTok's OAuth flow with a
# signed single-use state, and the Ad Accounts a token reaches with the
# user's role on each.
plugin_libtt_core_la_SOURCES += \
	plugin/profile/tt_state.c plugin/profile/tt_state.h \
	plugin/profile/tt_accounts.c plugin/profile/tt_accounts.h \
	plugin/profile/tt_oauth.c plugin/profile/tt_oauth.h \
	plugin/profile/tt_grant.c plugin/profile/tt_grant.h \
	plugin/profile/tt_profile.c plugin/profile/tt_profile.h \
	plugin/profile/tt_coverage.c plugin/profile/tt_coverage.h
