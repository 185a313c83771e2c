//! `append`: XADD of raw fields. The bus itself only writes messages (`publish`); this command writes what a
//! foreign producer may write (no UUID, other fields, duplicates) to see how readers, groups and the UUID index
//! treat it.

use std::fmt;

use bus_core::{Backend, EntryId, Error, Fields, Result, Topic};
use clap::Args;

use crate::args::AppendArgs;
use crate::line::Line;

/// Append a raw field map (XADD), as a foreign producer writes it. Prints the entry id, or null with
/// --nomkstream on a missing topic.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct Append {
    /// The topic.
    pub topic: Topic,
    /// Field names and values, alternating: FIELD VALUE [FIELD VALUE …].
    #[arg(value_name = "FIELD VALUE", required = true, num_args = 1..)]
    pub fields: Vec<String>,
    /// The entry id, trimming and NOMKSTREAM.
    #[command(flatten)]
    pub options: AppendArgs,
}

impl Append {
    /// The command's name.
    pub const NAME: &'static str = "append";

    /// The field map: FIELD VALUE pairs (an odd or empty list is the error Redis gives XADD).
    pub fn to_fields(&self) -> Result<Fields> {
        if self.fields.is_empty() || !self.fields.len().is_multiple_of(2) {
            return Err(Error::invalid_argument(
                "ERR wrong number of arguments for 'xadd' command",
            ));
        }
        Ok(Fields::from_pairs(
            self.fields
                .chunks_exact(2)
                .map(|pair| (pair[0].clone(), pair[1].clone())),
        ))
    }

    /// Runs the command.
    pub async fn run(&self, backend: &dyn Backend) -> Result<Option<EntryId>> {
        let fields = self.to_fields()?;
        let options = self.options.to_options()?;
        backend.append(&self.topic, fields, &options).await
    }
}

impl fmt::Display for Append {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Line::new(Self::NAME);
        line.pos(&self.topic).all(&self.fields);
        self.options.push(&mut line);
        line.fmt(f)
    }
}
