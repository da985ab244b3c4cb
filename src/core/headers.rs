//! Headers-exchange matching: `x-match` all / any / all-with-x / any-with-x.
//!
//! A binding's arguments are the headers to match. Argument names starting with `x-` take no
//! part unless the match mode is one of the `-with-x` modes. An argument whose value is void
//! (`null`) matches any message that has that header at all. With `all` (the default) every
//! argument must match, so a binding with no arguments matches every message; with `any` at
//! least one must, so a binding with no arguments matches none.

use super::error::{AmqpError, Result};
use super::value::{FieldTable, FieldValue};

/// How a headers binding combines its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// Every argument must match (the default).
    All,
    /// At least one argument must match.
    Any,
    /// As `All`, and `x-` arguments count too.
    AllWithX,
    /// As `Any`, and `x-` arguments count too.
    AnyWithX,
}

impl MatchMode {
    /// Reads `x-match` from binding arguments; an unknown value is a 406.
    pub fn from_args(args: &FieldTable) -> Result<MatchMode> {
        match args.get("x-match") {
            None => Ok(MatchMode::All),
            Some(FieldValue::Str(s)) => match s.as_str() {
                "all" => Ok(MatchMode::All),
                "any" => Ok(MatchMode::Any),
                "all-with-x" => Ok(MatchMode::AllWithX),
                "any-with-x" => Ok(MatchMode::AnyWithX),
                other => Err(AmqpError::precondition(format_args!(
                    "Invalid x-match field value <<\"{other}\">>; expected all, any, all-with-x, or any-with-x"
                ))),
            },
            Some(other) => Err(AmqpError::precondition(format_args!(
                "Invalid x-match field value {other}; expected all, any, all-with-x, or any-with-x"
            ))),
        }
    }
}

/// Whether message `headers` match a binding's `args`.
pub fn headers_match(args: &FieldTable, headers: Option<&FieldTable>) -> bool {
    let mode = MatchMode::from_args(args).unwrap_or(MatchMode::All);
    let with_x = matches!(mode, MatchMode::AllWithX | MatchMode::AnyWithX);
    let want_all = matches!(mode, MatchMode::All | MatchMode::AllWithX);
    let empty = FieldTable::new();
    let headers = headers.unwrap_or(&empty);
    let mut considered = args.iter().filter(|(k, _)| k.as_str() != "x-match" && (with_x || !k.starts_with("x-")));
    let one = |(k, v): (&String, &FieldValue)| match headers.get(k) {
        None => false,
        Some(h) => matches!(v, FieldValue::Void) || v.loosely_equals(h),
    };
    if want_all {
        considered.all(one)
    } else {
        considered.any(one)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::value::table;

    #[test]
    fn all_and_any() {
        let all = table([("format", "pdf".into()), ("type", "report".into())]);
        let any = table([("x-match", "any".into()), ("format", "pdf".into()), ("type", "log".into())]);
        let h1 = table([("format", "pdf".into()), ("type", "report".into()), ("extra", 1.into())]);
        let h2 = table([("format", "pdf".into()), ("type", "summary".into())]);
        assert!(headers_match(&all, Some(&h1)));
        assert!(!headers_match(&all, Some(&h2)));
        assert!(headers_match(&any, Some(&h2)));
        assert!(!headers_match(&any, Some(&table([("type", "report".into())]))));
        assert!(!headers_match(&any, None));
    }

    #[test]
    fn empty_bindings_and_void_values() {
        assert!(headers_match(&FieldTable::new(), None));
        assert!(!headers_match(&table([("x-match", "any".into())]), Some(&table([("a", 1.into())]))));
        let presence = table([("a", FieldValue::Void)]);
        assert!(headers_match(&presence, Some(&table([("a", "anything".into())]))));
        assert!(!headers_match(&presence, Some(&table([("b", 1.into())]))));
    }

    #[test]
    fn x_arguments_only_with_x_modes() {
        let plain = table([("x-tenant", "t1".into())]);
        assert!(headers_match(&plain, None), "x- args ignored in `all`, leaving nothing to fail");
        let with_x = table([("x-match", "all-with-x".into()), ("x-tenant", "t1".into())]);
        assert!(headers_match(&with_x, Some(&table([("x-tenant", "t1".into())]))));
        assert!(!headers_match(&with_x, Some(&table([("x-tenant", "t2".into())]))));
        let any_x = table([("x-match", "any-with-x".into()), ("x-a", 1.into()), ("b", 2.into())]);
        assert!(headers_match(&any_x, Some(&table([("x-a", 1.into())]))));
    }

    #[test]
    fn numbers_compare_by_value() {
        let args = table([("n", FieldValue::Int(3))]);
        assert!(headers_match(&args, Some(&table([("n", FieldValue::Float(3.0))]))));
        assert!(!headers_match(&args, Some(&table([("n", FieldValue::Str("3".into()))]))));
    }

    #[test]
    fn invalid_mode_is_precondition_failed() {
        let err = MatchMode::from_args(&table([("x-match", "some".into())])).unwrap_err();
        assert_eq!(err.code, crate::core::error::ReplyCode::PreconditionFailed);
    }
}
