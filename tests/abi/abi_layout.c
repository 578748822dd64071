/* abi_layout.c - prints, as JSON, sizeof and the offsetof of every member of
   every public struct of aconn.h as this C compiler lays them out, so the
   Python host's ctypes mirror (tests/abi/aconn.py) is checked against C
   rather than against itself. A member added to the header but not here (or
   to aconn.py) shows up as a size mismatch. */
#include <stdio.h>

#include <aconn/aconn.h>

#define ABI_BEGIN(T) printf("%s\"" #T "\": {\"size\": %zu, \"fields\": {", first ? "" : ",\n", \
                            sizeof(T)), first = 0, sep = ""
#define ABI_FIELD(T, m) printf("%s\"" #m "\": %zu", sep, offsetof(T, m)), sep = ", "
#define ABI_END() printf("}}")

/* Over 80 lines on purpose (#13): a flat list of one print per struct member. */
int main(void)
{
    int first = 1;
    const char *sep = "";

    printf("{\"abi_major\": %d, \"abi_minor\": %d, \"structs\": {\n", ACONN_ABI_MAJOR,
           ACONN_ABI_MINOR);
    ABI_BEGIN(aconn_error);
    ABI_FIELD(aconn_error, struct_size); ABI_FIELD(aconn_error, status);
    ABI_FIELD(aconn_error, retry_after_ms); ABI_FIELD(aconn_error, http_status);
    ABI_FIELD(aconn_error, reserved0); ABI_FIELD(aconn_error, code);
    ABI_FIELD(aconn_error, field); ABI_FIELD(aconn_error, remote_code);
    ABI_FIELD(aconn_error, request_id); ABI_FIELD(aconn_error, profile);
    ABI_FIELD(aconn_error, message);
    ABI_END();
    ABI_BEGIN(aconn_error_list);
    ABI_FIELD(aconn_error_list, struct_size); ABI_FIELD(aconn_error_list, item_size);
    ABI_FIELD(aconn_error_list, capacity); ABI_FIELD(aconn_error_list, count);
    ABI_FIELD(aconn_error_list, items);
    ABI_END();
    ABI_BEGIN(aconn_output);
    ABI_FIELD(aconn_output, struct_size); ABI_FIELD(aconn_output, reserved0);
    ABI_FIELD(aconn_output, ctx); ABI_FIELD(aconn_output, write);
    ABI_END();
    ABI_BEGIN(aconn_attr);
    ABI_FIELD(aconn_attr, name); ABI_FIELD(aconn_attr, type);
    ABI_FIELD(aconn_attr, value); ABI_FIELD(aconn_attr, value_len);
    ABI_END();
    ABI_BEGIN(aconn_record);
    ABI_FIELD(aconn_record, struct_size); ABI_FIELD(aconn_record, op);
    ABI_FIELD(aconn_record, seq); ABI_FIELD(aconn_record, nattrs);
    ABI_FIELD(aconn_record, reserved0); ABI_FIELD(aconn_record, attrs);
    ABI_END();
    ABI_BEGIN(aconn_batch);
    ABI_FIELD(aconn_batch, struct_size); ABI_FIELD(aconn_batch, flags);
    ABI_FIELD(aconn_batch, connection_id); ABI_FIELD(aconn_batch, run_id);
    ABI_FIELD(aconn_batch, profile); ABI_FIELD(aconn_batch, settings_json);
    ABI_FIELD(aconn_batch, spool_dir); ABI_FIELD(aconn_batch, run_first_seq);
    ABI_FIELD(aconn_batch, run_last_seq); ABI_FIELD(aconn_batch, run_attempt);
    ABI_FIELD(aconn_batch, reserved0); ABI_FIELD(aconn_batch, report);
    ABI_END();
    ABI_BEGIN(aconn_host);
    ABI_FIELD(aconn_host, struct_size); ABI_FIELD(aconn_host, abi_major);
    ABI_FIELD(aconn_host, abi_minor); ABI_FIELD(aconn_host, reserved0);
    ABI_FIELD(aconn_host, ctx); ABI_FIELD(aconn_host, log);
    ABI_FIELD(aconn_host, option); ABI_FIELD(aconn_host, now_ms);
    ABI_FIELD(aconn_host, cancelled); ABI_FIELD(aconn_host, secret_get);
    ABI_FIELD(aconn_host, secret_put); ABI_FIELD(aconn_host, state_get);
    ABI_FIELD(aconn_host, state_cas); ABI_FIELD(aconn_host, batch_next);
    ABI_FIELD(aconn_host, reject); ABI_FIELD(aconn_host, request_catch_up);
    ABI_FIELD(aconn_host, pace);
    ABI_END();
    ABI_BEGIN(aconn_info);
    ABI_FIELD(aconn_info, struct_size); ABI_FIELD(aconn_info, reserved0);
    ABI_FIELD(aconn_info, id); ABI_FIELD(aconn_info, name);
    ABI_FIELD(aconn_info, version); ABI_FIELD(aconn_info, manifest_json);
    ABI_END();
    ABI_BEGIN(aconn_validate_request);
    ABI_FIELD(aconn_validate_request, struct_size); ABI_FIELD(aconn_validate_request, flags);
    ABI_FIELD(aconn_validate_request, settings_json);
    ABI_FIELD(aconn_validate_request, profile);
    ABI_FIELD(aconn_validate_request, current_settings_json);
    ABI_FIELD(aconn_validate_request, facts);
    ABI_END();
    ABI_BEGIN(aconn_authorize_request);
    ABI_FIELD(aconn_authorize_request, struct_size); ABI_FIELD(aconn_authorize_request, phase);
    ABI_FIELD(aconn_authorize_request, profile);
    ABI_FIELD(aconn_authorize_request, callback_url);
    ABI_END();
    ABI_BEGIN(aconn_plugin);
    ABI_FIELD(aconn_plugin, struct_size); ABI_FIELD(aconn_plugin, abi_major);
    ABI_FIELD(aconn_plugin, abi_minor); ABI_FIELD(aconn_plugin, reserved0);
    ABI_FIELD(aconn_plugin, describe); ABI_FIELD(aconn_plugin, validate_settings);
    ABI_FIELD(aconn_plugin, authorize); ABI_FIELD(aconn_plugin, deliver_batch);
    ABI_FIELD(aconn_plugin, teardown); ABI_FIELD(aconn_plugin, inspect);
    ABI_END();
    ABI_BEGIN(aconn_inspect_request);
    ABI_FIELD(aconn_inspect_request, struct_size); ABI_FIELD(aconn_inspect_request, flags);
    ABI_FIELD(aconn_inspect_request, connection_id);
    ABI_FIELD(aconn_inspect_request, profile);
    ABI_FIELD(aconn_inspect_request, settings_json);
    ABI_FIELD(aconn_inspect_request, last_report_json);
    ABI_END();
    printf("}}\n");
    return 0;
}
