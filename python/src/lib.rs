//! entente for Python: the `entente._entente` extension module behind the `entente` package.
//! Bindings only: every function calls the library crate (the same code as the `entente`
//! binary), converts its arguments and answers, releases the GIL around long work, and turns the
//! library's errors into Python exceptions. The Python modules in `entente/` arrange these
//! names into sacreBLEU's API (`entente.metrics`) and the toolkit's (`entente`).

use pyo3::prelude::*;

mod align;
mod documents;
mod errors;
mod metrics;
mod refcache;
mod scores;
mod text;
mod translator;

#[pymodule]
fn _entente(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("EntenteError", m.py().get_type::<errors::EntenteError>())?;
    metrics::register(m)?;
    text::register(m)?;
    translator::register(m)?;
    align::register(m)?;
    Ok(())
}
