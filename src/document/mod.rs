//! Documents translated whole, their formatting kept: each block's text with its inline markup
//! lifted out ([`inline`]) goes through segmentation and the model exactly as the same text
//! without markup would, and the inline elements are put back around the words of the
//! translation their words became ([`placement`]), read from the model's cross-attention
//! ([`words`]).

pub mod inline;
pub mod placement;
pub mod blocks;
pub mod words;
pub mod html;
