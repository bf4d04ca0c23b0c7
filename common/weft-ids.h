/* weft-ids: application, attempt and container ids in YARN's spelling, so
 * operators recognise them: application_<rm-start-ms>_<seq>,
 * appattempt_<rm-start-ms>_<seq>_<attempt>, container_<rm-start-ms>_<seq>_
 * <attempt>_<n>. Parsing accepts exactly what formatting produces (plus
 * wider numbers than the zero padding) and rejects everything else with an
 * error naming the text. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEFT_IDS_ERROR (weft_ids_error_quark ())
GQuark weft_ids_error_quark (void);
typedef enum { WEFT_IDS_ERROR_INVALID } WeftIdsError;

typedef struct {
  gint64 cluster_ts;   /* the RM's start time in ms */
  guint32 seq;         /* application number, from 1 */
} WeftAppId;

typedef struct {
  WeftAppId app;
  guint32 attempt;     /* from 1 */
} WeftAttemptId;

typedef struct {
  WeftAttemptId attempt;
  guint64 seq;         /* container number within the application, from 1 */
} WeftContainerId;

/** weft_app_id_format: Returns: (transfer full) "application_<ts>_<seq 4+ digits>". */
char *weft_app_id_format (const WeftAppId *id);
/** weft_attempt_id_format: Returns: (transfer full) "appattempt_<ts>_<seq>_<attempt 6 digits>". */
char *weft_attempt_id_format (const WeftAttemptId *id);
/** weft_container_id_format: Returns: (transfer full) "container_<ts>_<seq>_<attempt 2>_<n 6>". */
char *weft_container_id_format (const WeftContainerId *id);

gboolean weft_app_id_parse (const char *text, WeftAppId *out, GError **error);
gboolean weft_attempt_id_parse (const char *text, WeftAttemptId *out, GError **error);
gboolean weft_container_id_parse (const char *text, WeftContainerId *out, GError **error);

G_END_DECLS
