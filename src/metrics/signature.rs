//! Reproducibility signatures in sacreBLEU's format (`nrefs:1|case:mixed|…|version:…`), with
//! entente's version.

/// An ordered list of signature fields; `None` values are left out when printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    fields: Vec<(&'static str, &'static str, Option<String>)>,
}

impl Signature {
    /// The common head of every signature: number of references and the test-related fields
    /// that sacreBLEU lists before the metric's own.
    pub fn new(nrefs: usize) -> Self {
        Signature {
            fields: vec![
                ("nrefs", "#", Some(nrefs.to_string())),
                ("bs", "bs", None),
                ("ar", "ar", None),
                ("seed", "rs", None),
            ],
        }
    }

    /// Set a field, appending it if it is new (position matters, as in sacreBLEU's dict).
    pub fn set(&mut self, key: &'static str, short: &'static str, value: impl Into<String>) {
        let value = Some(value.into());
        match self.fields.iter_mut().find(|(k, _, _)| *k == key) {
            Some(field) => field.2 = value,
            None => self.fields.push((key, short, value)),
        }
    }

    /// Key/value pairs in print order, version last.
    pub fn pairs(&self, short: bool) -> Vec<(String, String)> {
        let version = format!("entente-{}", env!("CARGO_PKG_VERSION"));
        self.fields
            .iter()
            .filter_map(|(key, abbr, value)| {
                let name = if short { abbr } else { key };
                value.as_ref().map(|v| (name.to_string(), v.clone()))
            })
            .chain(std::iter::once((
                if short { "v" } else { "version" }.to_string(),
                version,
            )))
            .collect()
    }

    pub fn format(&self, short: bool) -> String {
        self.pairs(short)
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join("|")
    }
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format(false))
    }
}
