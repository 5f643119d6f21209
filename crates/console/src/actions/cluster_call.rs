//! One cluster call of a mutation: bounded by a timeout, its failure named by the object it concerned.

use std::time::Duration;

/// Every cluster call a mutation makes gets this long.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{object}: {message}")]
    Api { object: String, message: String },
    #[error("{0}: no answer within {CALL_TIMEOUT:?}")]
    Timeout(String),
}

/// Awaits `call` for at most `CALL_TIMEOUT`; an API refusal keeps the server's message and code.
pub async fn within_timeout<T>(
    object: &str,
    call: impl Future<Output = Result<T, kube::Error>>,
) -> Result<T, CallError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Err(_) => Err(CallError::Timeout(object.to_string())),
        Ok(Err(err)) => Err(CallError::Api { object: object.to_string(), message: api_message(&err) }),
        Ok(Ok(v)) => Ok(v),
    }
}

fn api_message(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_call_that_never_answers_times_out_naming_its_object() {
        let never = std::future::pending::<Result<(), kube::Error>>();
        let err = within_timeout("deployment/x", never).await.unwrap_err();
        assert!(matches!(&err, CallError::Timeout(o) if o == "deployment/x"), "{err}");
    }

    #[tokio::test]
    async fn an_api_refusal_keeps_the_servers_message_and_code() {
        let status =
            kube::core::Status::failure("deployments.apps \"x\" not found", "NotFound").with_code(404);
        let refused = std::future::ready(Err::<(), _>(kube::Error::Api(Box::new(status))));
        let err = within_timeout("deployment/x", refused).await.unwrap_err();
        assert_eq!(err.to_string(), "deployment/x: deployments.apps \"x\" not found (404)");
    }
}
