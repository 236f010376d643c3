//! Building embeds.

use super::error::{check_count, check_len, ValidationError};
use super::limits::{
    EMBED_AUTHOR_NAME, EMBED_DESCRIPTION, EMBED_FIELDS, EMBED_FIELD_NAME, EMBED_FIELD_VALUE,
    EMBED_FOOTER_TEXT, EMBED_TITLE, EMBED_TOTAL_TEXT,
};
use crate::model::{Embed, EmbedAuthor, EmbedField, EmbedFooter, EmbedMedia, Timestamp};

/// Builds a rich [`Embed`] and checks its limits.
///
/// ```
/// use acord::command::EmbedBuilder;
/// let embed = EmbedBuilder::new()
///     .title("Release")
///     .description("acord 0.1 is out")
///     .field("crate", "acord", true)
///     .color(0x5865F2)
///     .build()
///     .unwrap();
/// assert_eq!(embed.fields.len(), 1);
/// assert!(EmbedBuilder::new().title("x".repeat(257)).build().is_err());
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "call build() to get the embed"]
pub struct EmbedBuilder {
    embed: Embed,
}

impl EmbedBuilder {
    /// An empty rich embed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Title (≤ 256).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.embed.title = Some(title.into());
        self
    }

    /// Description (≤ 4096).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.embed.description = Some(description.into());
        self
    }

    /// Title link.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.embed.url = Some(url.into());
        self
    }

    /// Footer timestamp.
    pub fn timestamp(mut self, timestamp: Timestamp) -> Self {
        self.embed.timestamp = Some(timestamp);
        self
    }

    /// Side colour (`0xRRGGBB`).
    pub fn color(mut self, color: u32) -> Self {
        self.embed.color = Some(color);
        self
    }

    /// Footer text (≤ 2048) and optional icon.
    pub fn footer(mut self, text: impl Into<String>, icon_url: Option<String>) -> Self {
        self.embed.footer = Some(EmbedFooter {
            text: text.into(),
            icon_url,
            proxy_icon_url: None,
        });
        self
    }

    /// Image (http(s) or `attachment://name`).
    pub fn image(mut self, url: impl Into<String>) -> Self {
        self.embed.image = Some(media(url.into()));
        self
    }

    /// Thumbnail (http(s) or `attachment://name`).
    pub fn thumbnail(mut self, url: impl Into<String>) -> Self {
        self.embed.thumbnail = Some(media(url.into()));
        self
    }

    /// Author name (≤ 256), link and icon.
    pub fn author(
        mut self,
        name: impl Into<String>,
        url: Option<String>,
        icon_url: Option<String>,
    ) -> Self {
        self.embed.author = Some(EmbedAuthor {
            name: name.into(),
            url,
            icon_url,
            proxy_icon_url: None,
        });
        self
    }

    /// Adds a field (name ≤ 256, value ≤ 1024; ≤ 25 fields).
    pub fn field(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        inline: bool,
    ) -> Self {
        self.embed.fields.push(EmbedField {
            name: name.into(),
            value: value.into(),
            inline: Some(inline),
        });
        self
    }

    /// Checks the limits and returns the embed.
    ///
    /// # Errors
    ///
    /// [`ValidationError`] naming the first field over its limit.
    pub fn build(mut self) -> Result<Embed, ValidationError> {
        self.embed.kind = Some("rich".to_owned());
        validate_embed(&self.embed)?;
        Ok(self.embed)
    }
}

fn media(url: String) -> EmbedMedia {
    EmbedMedia {
        url: Some(url),
        ..EmbedMedia::default()
    }
}

/// Checks one embed's per-field limits and its 6000-character total
/// (counted after trimming, as [`Embed::text_length`] does); returns that
/// total so [`validate_embeds`] need not count again.
pub(crate) fn validate_embed(embed: &Embed) -> Result<usize, ValidationError> {
    let mut total = 0;
    if let Some(title) = &embed.title {
        total += check_len("embeds[].title", title.trim(), 0, EMBED_TITLE)?;
    }
    if let Some(description) = &embed.description {
        total += check_len(
            "embeds[].description",
            description.trim(),
            0,
            EMBED_DESCRIPTION,
        )?;
    }
    check_count("embeds[].fields", embed.fields.len(), 0, EMBED_FIELDS)?;
    for field in &embed.fields {
        total += check_len(
            "embeds[].fields[].name",
            field.name.trim(),
            1,
            EMBED_FIELD_NAME,
        )?;
        total += check_len(
            "embeds[].fields[].value",
            field.value.trim(),
            1,
            EMBED_FIELD_VALUE,
        )?;
    }
    if let Some(footer) = &embed.footer {
        total += check_len(
            "embeds[].footer.text",
            footer.text.trim(),
            0,
            EMBED_FOOTER_TEXT,
        )?;
    }
    if let Some(author) = &embed.author {
        total += check_len(
            "embeds[].author.name",
            author.name.trim(),
            0,
            EMBED_AUTHOR_NAME,
        )?;
    }
    check_total(total)?;
    Ok(total)
}

/// Checks every embed and the 6000-character total across all of them.
pub(crate) fn validate_embeds(embeds: &[Embed]) -> Result<(), ValidationError> {
    let mut total = 0;
    for embed in embeds {
        total += validate_embed(embed)?;
    }
    check_total(total)
}

fn check_total(total: usize) -> Result<(), ValidationError> {
    if total > EMBED_TOTAL_TEXT {
        return Err(ValidationError::TooLong {
            field: "embeds (total text)",
            actual: total,
            max: EMBED_TOTAL_TEXT,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_after_trimming() {
        let ok = EmbedBuilder::new()
            .title(format!("  {}  ", "t".repeat(256)))
            .build();
        assert!(ok.is_ok());
        let err = EmbedBuilder::new()
            .description("d".repeat(4097))
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ValidationError::TooLong {
                field: "embeds[].description",
                actual: 4097,
                max: 4096
            }
        );
        let mut many = EmbedBuilder::new();
        for i in 0..26 {
            many = many.field(format!("n{i}"), "v", false);
        }
        assert!(matches!(
            many.build(),
            Err(ValidationError::TooMany { max: 25, .. })
        ));
        assert!(EmbedBuilder::new().field("", "v", false).build().is_err());
        assert!(EmbedBuilder::new()
            .footer("f".repeat(2049), None)
            .build()
            .is_err());
        assert!(EmbedBuilder::new()
            .author("a".repeat(257), None, None)
            .build()
            .is_err());
    }

    #[test]
    fn total_across_embeds() {
        let big = EmbedBuilder::new()
            .description("x".repeat(4000))
            .build()
            .unwrap();
        assert!(validate_embeds(std::slice::from_ref(&big)).is_ok());
        let err = validate_embeds(&[big.clone(), big]).unwrap_err();
        assert!(matches!(
            err,
            ValidationError::TooLong {
                actual: 8000,
                max: 6000,
                ..
            }
        ));
    }

    #[test]
    fn one_embed_over_the_total_fails_its_own_build() {
        let mut builder = EmbedBuilder::new().description("d".repeat(4000));
        for i in 0..3 {
            builder = builder.field(format!("f{i}"), "v".repeat(1000), false);
        }
        // 4000 + 3 * (2 + 1000) = 7006 characters, every field within its own limit.
        let err = builder.build().unwrap_err();
        assert_eq!(
            err,
            ValidationError::TooLong {
                field: "embeds (total text)",
                actual: 7006,
                max: 6000,
            }
        );
    }
}
