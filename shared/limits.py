"""Limits on what people send, enforced by the API and checked by the app before sending, so a
form the app accepts is one the API accepts. Counts and text lengths (in characters)."""

# Complaints
MAX_PHOTOS_PER_SIDE = 5  # the reporter's photos, and separately the agency's
COMPLAINT_TITLE_MIN_LENGTH = 5
COMPLAINT_TITLE_MAX_LENGTH = 120
COMPLAINT_DESCRIPTION_MIN_LENGTH = 10
COMPLAINT_DESCRIPTION_MAX_LENGTH = 5000
COMPLAINT_ADDRESS_MAX_LENGTH = 300
RATING_COMMENT_MAX_LENGTH = 1000
TRACKING_NUMBER_MAX_LENGTH = 24  # naming the original of a duplicate

# Permits
RECEIPT_NUMBER_MAX_LENGTH = 64

# Accounts
FULL_NAME_MIN_LENGTH = 2
FULL_NAME_MAX_LENGTH = 120

# Region-pack forms: a text answer's cap when the pack sets no max_length, so none is unbounded.
DEFAULT_TEXT_MAX_LENGTH = {"text": 500, "textarea": 5000}
