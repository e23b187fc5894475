//! A JSON body extractor whose rejections speak our error shape, naming what is wrong.

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    Json,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(invalid_body(rejection)),
        }
    }
}

fn invalid_body(rejection: JsonRejection) -> ApiError {
    let message = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "must be sent with Content-Type: application/json".to_owned()
        }
        // serde's message names the field and the problem ("missing field `email`").
        JsonRejection::JsonDataError(e) => e.body_text().replace(
            "Failed to deserialize the JSON body into the target type: ",
            "",
        ),
        JsonRejection::JsonSyntaxError(_) => "is not valid JSON".to_owned(),
        _ => "could not be read".to_owned(),
    };
    ApiError::Invalid {
        field: "body".into(),
        message,
    }
}
