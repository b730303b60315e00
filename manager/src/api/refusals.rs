//! The domain's refusals as HTTP answers, in this one place: each domain
//! module returns its own error enum, and handlers turn them into
//! [`AppError`] with `?`.

use crate::error::AppError;

/// Refusals of [`crate::ingest`]: 413, 422, 403, 409 and 500.
impl From<crate::ingest::IngestError> for AppError {
    fn from(e: crate::ingest::IngestError) -> Self {
        use crate::ingest::IngestError as E;
        match e {
            E::TooLarge(limit) => AppError::too_large(limit),
            E::Invalid { field, reason } => AppError::unprocessable(reason).field(field),
            E::Forbidden { field, reason } => AppError::forbidden(reason).field(field),
            E::Conflict { field, reason } => AppError::conflict(reason).field(field),
            E::Fetch(f) => f.into(),
            E::Store(s) => s.into(),
        }
    }
}

/// Refusals of [`crate::approval`]: 404, 422, 409 and 500.
impl From<crate::approval::ApprovalError> for AppError {
    fn from(e: crate::approval::ApprovalError) -> Self {
        use crate::approval::ApprovalError as E;
        match e {
            E::NotFound(what) => AppError::not_found(what),
            E::Invalid { field, reason } => AppError::unprocessable(reason).field(field),
            E::Conflict { field, reason } => AppError::conflict(reason).field(field),
            E::Store(s) => s.into(),
        }
    }
}

/// Refusals of [`crate::notices`]: 404, 422, 409 and those of ingest.
impl From<crate::notices::NoticeError> for AppError {
    fn from(e: crate::notices::NoticeError) -> Self {
        use crate::notices::NoticeError as E;
        match e {
            E::NotFound(what) => AppError::not_found(what),
            E::Invalid { field, reason } => AppError::unprocessable(reason).field(field),
            E::Conflict { field, reason } => AppError::conflict(reason).field(field),
            E::Ingest(i) => i.into(),
            E::Store(s) => s.into(),
        }
    }
}

/// Refusals of [`crate::speakers::read_now`]: 422 and 409.
impl From<crate::speakers::ReadError> for AppError {
    fn from(e: crate::speakers::ReadError) -> Self {
        use crate::speakers::ReadError as E;
        match e {
            E::Invalid { field, reason } => AppError::unprocessable(reason).field(field),
            E::Busy(m) => AppError::conflict(m),
        }
    }
}

/// Refusals of [`crate::fetch`]: 413, 422 and 500.
impl From<crate::fetch::FetchError> for AppError {
    fn from(e: crate::fetch::FetchError) -> Self {
        use crate::fetch::FetchError as E;
        match e {
            E::TooLarge { field, limit } => AppError::too_large(limit).field(field),
            E::Refused { field, reason } => AppError::unprocessable(reason).field(field),
            E::Internal(m) => AppError::internal(m),
            E::Store(s) => s.into(),
        }
    }
}

/// Refusals of [`crate::accounts`]: 422, 409, 404 (a unit named that
/// does not exist) and 500.
impl From<crate::accounts::AccountError> for AppError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as E;
        match e {
            E::Invalid { field, reason } => AppError::unprocessable(reason).field(field),
            E::Conflict { field, reason } => AppError::conflict(reason).field(field),
            E::Unknown { field, reason } => AppError::not_found_because(reason).field(field),
            E::Internal(m) => AppError::internal(m),
            E::Store(s) => s.into(),
        }
    }
}

/// Refusals of [`crate::sources`]: 401 naming what is wrong, or 500.
impl From<crate::sources::SourceError> for AppError {
    fn from(e: crate::sources::SourceError) -> Self {
        use crate::sources::SourceError as E;
        match e {
            E::Unauthorized(m) => AppError::unauthorized_because(m),
            E::Internal(m) => AppError::internal(m),
            E::Store(s) => s.into(),
        }
    }
}

/// Refusals of [`crate::shows`]: 404 for a board whose unit is gone, 422
/// naming each problem, 500.
impl From<crate::shows::CompileError> for AppError {
    fn from(e: crate::shows::CompileError) -> Self {
        use crate::shows::CompileError as E;
        match e {
            E::NoUnit(_) => AppError::not_found("đơn vị hành chính"),
            E::Problems(p) => AppError::invalid(p),
            E::Store(s) => s.into(),
        }
    }
}

/// A source's push settings refused by [`crate::reporting`]: 422.
impl From<crate::reporting::BadSetting> for AppError {
    fn from(e: crate::reporting::BadSetting) -> Self {
        AppError::unprocessable(e.reason).field(e.field)
    }
}

/// Refusals of [`crate::media`]: 415 naming what the file is, or 500.
impl From<crate::media::MediaError> for AppError {
    fn from(e: crate::media::MediaError) -> Self {
        use crate::media::MediaError as E;
        match e {
            E::Refused(m) => AppError::unsupported(m),
            E::Internal(m) => AppError::internal(m),
        }
    }
}

/// Refusals of [`crate::feeds`]: 422, 409 or 404 naming the field, 500.
impl From<crate::feeds::FeedError> for AppError {
    fn from(e: crate::feeds::FeedError) -> Self {
        use crate::feeds::FeedError as E;
        match e {
            E::Invalid { field, reason } => AppError::unprocessable(reason).field(field),
            E::Conflict { field, reason } => AppError::conflict(reason).field(field),
            E::Unknown { field, reason } => AppError::not_found_because(reason).field(field),
            E::Store(s) => s.into(),
        }
    }
}

/// Refusals of [`crate::backup`]: 409 while another backup runs or when
/// the store is PostgreSQL (backed up with its own tools), 500 otherwise
/// (a restore's refusals are the command line's).
impl From<crate::backup::BackupError> for AppError {
    fn from(e: crate::backup::BackupError) -> Self {
        use crate::backup::BackupError as E;
        match e {
            E::Busy | E::Database => AppError::conflict(e.to_string()),
            other => AppError::internal(other),
        }
    }
}
