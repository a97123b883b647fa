//! The package's exception: the library's errors, with their messages, as `entente.EntenteError`
//! (a bad model directory, a page with no article, a failed computation). Wrong argument types
//! and values raise Python's own `TypeError` and `ValueError`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::PyErr;

create_exception!(
    entente,
    EntenteError,
    PyException,
    "An error of the entente library; the message says what failed and what to do."
);

/// A library error as an `EntenteError` with its message (the causes' included).
pub fn to_py(error: impl std::error::Error) -> PyErr {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    EntenteError::new_err(message)
}
