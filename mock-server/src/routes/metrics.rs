//! `GET /_mock/metrics`: the server's counters as Prometheus text
//! ([`Metrics`](crate::metrics::Metrics)). Who may read them is
//! [`AdminAccess::admit_scrape`](crate::admin_access::AdminAccess::admit_scrape):
//! the admin API's rules, or a configured scraper (the metrics token or an
//! allowed network).

use http::{Method, StatusCode};

use crate::metrics::CONTENT_TYPE;
use crate::reply::{self, Reply};
use crate::router::Received;

pub(crate) fn handle(r: &Received<'_>) -> Reply {
    let state = r.state;
    if let Err(refusal) = state.settings.admin.admit_scrape(&r.caller()) {
        return *refusal;
    }
    if *r.method != Method::GET && *r.method != Method::HEAD {
        return reply::method_not_allowed("GET, HEAD");
    }
    reply::build(StatusCode::OK, Some(CONTENT_TYPE), state.metrics.render())
}
