//! The semantic events as data: one table per family. The linter, `cio events`
//! and shell completion all read these tables and nothing else.
//!
//! Names and property types follow Customer.io's semantic event pages (each
//! table says which); Customer.io adopts Segment's specs for these families.
//! Only what destinations map by name is here: a property not listed is a
//! custom property and never draws a finding.

/// The JSON type a semantic property must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Boolean,
    Array,
    Object,
    /// An array of product objects (`PRODUCT` below).
    Products,
}

impl Type {
    pub fn as_str(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Number => "number",
            Type::Boolean => "boolean",
            Type::Array => "array",
            Type::Object => "object",
            Type::Products => "array of products",
        }
    }
}

/// One property of a semantic event.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    pub name: &'static str,
    pub ty: Type,
    /// Destinations expect it: its absence is a `missing-property` warning.
    pub expected: bool,
}

const fn p(name: &'static str, ty: Type) -> Prop {
    Prop {
        name,
        ty,
        expected: false,
    }
}

/// An expected property.
const fn e(name: &'static str, ty: Type) -> Prop {
    Prop {
        name,
        ty,
        expected: true,
    }
}

use Type::{Array, Boolean, Number, Object, Products, String as Str};

/// What a call needs beyond its properties for Customer.io to act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// `userId` (an anonymous call cannot act on a person).
    UserId,
    /// `context.device.token`.
    DeviceToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Ecommerce,
    Mobile,
    Video,
    Email,
    LiveChat,
    AbTesting,
    Customerio,
}

impl Family {
    pub const ALL: [Family; 7] = [
        Family::Ecommerce,
        Family::Mobile,
        Family::Video,
        Family::Email,
        Family::LiveChat,
        Family::AbTesting,
        Family::Customerio,
    ];

    /// The name used by `--family` and in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ecommerce => "ecommerce",
            Family::Mobile => "mobile",
            Family::Video => "video",
            Family::Email => "email",
            Family::LiveChat => "live-chat",
            Family::AbTesting => "ab-testing",
            Family::Customerio => "customerio",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Family::Ecommerce => "Ecommerce (v2)",
            Family::Mobile => "Mobile",
            Family::Video => "Video",
            Family::Email => "Email",
            Family::LiveChat => "Live Chat",
            Family::AbTesting => "A/B testing",
            Family::Customerio => "Customer.io actions",
        }
    }

    pub fn parse(name: &str) -> Option<Family> {
        let key: std::string::String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<std::string::String>()
            .to_ascii_lowercase();
        Family::ALL.into_iter().find(|f| {
            f.as_str().replace('-', "") == key || (key == "cio" && *f == Family::Customerio)
        })
    }

    /// The page each table is taken from.
    pub fn source(self) -> &'static str {
        match self {
            Family::Ecommerce => {
                "https://docs.customer.io/integrations/data-in/semantic-events/ecommerce/"
            }
            Family::Mobile => {
                "https://docs.customer.io/integrations/data-in/semantic-events/mobile/"
            }
            Family::Video => "https://docs.customer.io/integrations/data-in/semantic-events/video/",
            Family::Email => "https://docs.customer.io/integrations/data-in/semantic-events/email/",
            Family::LiveChat => {
                "https://docs.customer.io/integrations/data-in/semantic-events/live-chat/"
            }
            Family::AbTesting => {
                "https://docs.customer.io/integrations/data-in/semantic-events/a-b-test/"
            }
            Family::Customerio => {
                "https://docs.customer.io/integrations/data-in/semantic-events/cio-journeys/"
            }
        }
    }
}

/// One semantic event.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub name: &'static str,
    pub family: Family,
    /// Property groups: the event's own, and shared objects (product, order).
    pub props: &'static [&'static [Prop]],
    /// The properties describe one product, which needs `product_id` or `sku`.
    pub is_product: bool,
    pub requires: &'static [Requirement],
}

impl Event {
    pub fn prop(&self, name: &str) -> Option<&'static Prop> {
        self.props
            .iter()
            .flat_map(|g| g.iter())
            .find(|p| p.name == name)
    }

    pub fn all_props(&self) -> impl Iterator<Item = &'static Prop> {
        self.props.iter().flat_map(|g| g.iter())
    }
}

const fn ev(name: &'static str, family: Family, props: &'static [&'static [Prop]]) -> Event {
    Event {
        name,
        family,
        props,
        is_product: false,
        requires: &[],
    }
}

const fn product_ev(name: &'static str, props: &'static [&'static [Prop]]) -> Event {
    Event {
        name,
        family: Family::Ecommerce,
        props,
        is_product: true,
        requires: &[],
    }
}

const fn cio_ev(name: &'static str, requires: &'static [Requirement]) -> Event {
    Event {
        name,
        family: Family::Customerio,
        props: &[],
        is_product: false,
        requires,
    }
}

// ---------------------------------------------------------------------------
// Ecommerce v2: https://docs.customer.io/integrations/data-in/semantic-events/ecommerce/
// (the ecommerce specification, /integrations/api/cdp/ecommerce/; Segment's V2 Ecommerce spec)

/// The product object: an ecommerce event's own properties, or an item of `products`.
pub const PRODUCT: &[Prop] = &[
    p("product_id", Str),
    p("sku", Str),
    p("category", Str),
    p("name", Str),
    p("brand", Str),
    p("variant", Str),
    p("price", Number),
    p("quantity", Number),
    p("coupon", Str),
    p("position", Number),
    p("url", Str),
    p("image_url", Str),
];

/// The order object.
const ORDER: &[Prop] = &[
    p("affiliation", Str),
    p("total", Number),
    p("revenue", Number),
    p("shipping", Number),
    p("tax", Number),
    p("discount", Number),
    p("coupon", Str),
    p("currency", Str),
    p("products", Products),
];

const ORDER_EVENT: &[Prop] = &[
    e("order_id", Str),
    p("checkout_id", Str),
    p("subtotal", Number),
];
const PRODUCT_VIEW: &[Prop] = &[p("currency", Str), p("value", Number)];
const CART: &[Prop] = &[p("cart_id", Str)];
const LIST: &[Prop] = &[
    p("list_id", Str),
    p("category", Str),
    p("products", Products),
    p("filters", Array),
    p("sorts", Array),
];
const PROMOTION: &[Prop] = &[
    e("promotion_id", Str),
    p("creative", Str),
    p("name", Str),
    p("position", Str),
];
const CHECKOUT_STEP: &[Prop] = &[
    p("checkout_id", Str),
    e("step", Number),
    p("shipping_method", Str),
    p("payment_method", Str),
];
const COUPON: &[Prop] = &[
    p("order_id", Str),
    p("cart_id", Str),
    p("coupon_id", Str),
    p("coupon_name", Str),
    p("discount", Number),
    p("reason", Str),
];
const WISHLIST: &[Prop] = &[
    e("wishlist_id", Str),
    p("wishlist_name", Str),
    p("cart_id", Str),
];
const SHARE: &[Prop] = &[
    e("share_via", Str),
    p("share_message", Str),
    p("recipient", Str),
];

const ECOMMERCE: &[Event] = &[
    ev(
        "Products Searched",
        Family::Ecommerce,
        &[&[e("query", Str)]],
    ),
    ev("Product List Viewed", Family::Ecommerce, &[LIST]),
    ev("Product List Filtered", Family::Ecommerce, &[LIST]),
    ev("Promotion Viewed", Family::Ecommerce, &[PROMOTION]),
    ev("Promotion Clicked", Family::Ecommerce, &[PROMOTION]),
    product_ev("Product Clicked", &[PRODUCT, PRODUCT_VIEW]),
    product_ev("Product Viewed", &[PRODUCT, PRODUCT_VIEW]),
    product_ev("Product Added", &[CART, PRODUCT]),
    product_ev("Product Removed", &[CART, PRODUCT]),
    ev(
        "Cart Viewed",
        Family::Ecommerce,
        &[&[p("cart_id", Str), p("products", Products)]],
    ),
    ev(
        "Checkout Started",
        Family::Ecommerce,
        &[&[p("order_id", Str), p("value", Number)], ORDER],
    ),
    ev("Checkout Step Viewed", Family::Ecommerce, &[CHECKOUT_STEP]),
    ev(
        "Checkout Step Completed",
        Family::Ecommerce,
        &[CHECKOUT_STEP],
    ),
    ev("Payment Info Entered", Family::Ecommerce, &[CHECKOUT_STEP]),
    ev("Order Updated", Family::Ecommerce, &[ORDER_EVENT, ORDER]),
    ev("Order Completed", Family::Ecommerce, &[ORDER_EVENT, ORDER]),
    ev("Order Refunded", Family::Ecommerce, &[ORDER_EVENT, ORDER]),
    ev("Order Cancelled", Family::Ecommerce, &[ORDER_EVENT, ORDER]),
    ev("Coupon Entered", Family::Ecommerce, &[COUPON]),
    ev("Coupon Applied", Family::Ecommerce, &[COUPON]),
    ev("Coupon Removed", Family::Ecommerce, &[COUPON]),
    ev("Coupon Denied", Family::Ecommerce, &[COUPON]),
    product_ev("Product Added to Wishlist", &[WISHLIST, PRODUCT]),
    product_ev("Product Removed from Wishlist", &[WISHLIST, PRODUCT]),
    product_ev("Wishlist Product Added to Cart", &[WISHLIST, PRODUCT]),
    product_ev("Product Shared", &[SHARE, PRODUCT]),
    ev(
        "Cart Shared",
        Family::Ecommerce,
        &[SHARE, &[p("cart_id", Str), p("products", Products)]],
    ),
    ev(
        "Product Reviewed",
        Family::Ecommerce,
        &[&[
            e("product_id", Str),
            p("review_id", Str),
            p("review_body", Str),
            e("rating", Number),
        ]],
    ),
];

// ---------------------------------------------------------------------------
// Mobile: https://docs.customer.io/integrations/data-in/semantic-events/mobile/
// (application lifecycle, campaign and push events; Segment's Mobile spec)

const APP_VERSION: &[Prop] = &[p("version", Str), p("build", Str)];
const CAMPAIGN: &[Prop] = &[p("campaign", Object)];

const MOBILE: &[Event] = &[
    ev("Application Installed", Family::Mobile, &[APP_VERSION]),
    ev(
        "Application Opened",
        Family::Mobile,
        &[
            APP_VERSION,
            &[
                p("from_background", Boolean),
                p("referring_application", Str),
                p("url", Str),
            ],
        ],
    ),
    ev("Application Backgrounded", Family::Mobile, &[]),
    ev("Application Foregrounded", Family::Mobile, &[]),
    ev(
        "Application Updated",
        Family::Mobile,
        &[
            APP_VERSION,
            &[p("previous_version", Str), p("previous_build", Str)],
        ],
    ),
    ev("Application Uninstalled", Family::Mobile, &[]),
    ev("Application Crashed", Family::Mobile, &[]),
    ev(
        "Install Attributed",
        Family::Mobile,
        &[&[p("provider", Str)], CAMPAIGN],
    ),
    ev("Push Notification Received", Family::Mobile, &[CAMPAIGN]),
    ev("Push Notification Tapped", Family::Mobile, &[CAMPAIGN]),
    ev("Push Notification Bounced", Family::Mobile, &[CAMPAIGN]),
    ev(
        "Deep Link Opened",
        Family::Mobile,
        &[&[p("provider", Str), e("url", Str)]],
    ),
    ev(
        "Deep Link Clicked",
        Family::Mobile,
        &[&[p("provider", Str), e("url", Str)]],
    ),
];

// ---------------------------------------------------------------------------
// Video: https://docs.customer.io/integrations/data-in/semantic-events/video/
// (playback, content and ad events; Segment's Video spec)

const PLAYBACK: &[Prop] = &[
    p("session_id", Str),
    p("content_asset_id", Str),
    p("content_pod_id", Str),
    p("ad_asset_id", Str),
    p("ad_pod_id", Str),
    p("ad_type", Str),
    p("position", Number),
    p("total_length", Number),
    p("bitrate", Number),
    p("framerate", Number),
    p("video_player", Str),
    p("sound", Number),
    p("full_screen", Boolean),
    p("ad_enabled", Boolean),
    p("quality", Str),
    p("livestream", Boolean),
    p("method", Str),
];
const CONTENT: &[Prop] = &[
    p("session_id", Str),
    p("asset_id", Str),
    p("pod_id", Str),
    p("program", Str),
    p("title", Str),
    p("description", Str),
    p("season", Str),
    p("episode", Str),
    p("genre", Str),
    p("channel", Str),
    p("publisher", Str),
    p("position", Number),
    p("total_length", Number),
    p("full_episode", Boolean),
    p("livestream", Boolean),
    p("airdate", Str),
    p("bitrate", Number),
    p("framerate", Number),
    p("keywords", Array),
];
const AD: &[Prop] = &[
    p("session_id", Str),
    p("asset_id", Str),
    p("pod_id", Str),
    p("type", Str),
    p("title", Str),
    p("publisher", Str),
    p("position", Number),
    p("total_length", Number),
    p("load_type", Str),
    p("content", Object),
    p("quality", Str),
];

const VIDEO: &[Event] = &[
    ev("Video Playback Started", Family::Video, &[PLAYBACK]),
    ev("Video Playback Paused", Family::Video, &[PLAYBACK]),
    ev("Video Playback Interrupted", Family::Video, &[PLAYBACK]),
    ev("Video Playback Buffer Started", Family::Video, &[PLAYBACK]),
    ev(
        "Video Playback Buffer Completed",
        Family::Video,
        &[PLAYBACK],
    ),
    ev(
        "Video Playback Seek Started",
        Family::Video,
        &[PLAYBACK, &[p("seek_position", Number)]],
    ),
    ev("Video Playback Seek Completed", Family::Video, &[PLAYBACK]),
    ev("Video Playback Resumed", Family::Video, &[PLAYBACK]),
    ev("Video Playback Completed", Family::Video, &[PLAYBACK]),
    ev("Video Playback Exited", Family::Video, &[PLAYBACK]),
    ev("Video Content Started", Family::Video, &[CONTENT]),
    ev("Video Content Playing", Family::Video, &[CONTENT]),
    ev("Video Content Completed", Family::Video, &[CONTENT]),
    ev("Video Ad Started", Family::Video, &[AD]),
    ev("Video Ad Playing", Family::Video, &[AD]),
    ev("Video Ad Completed", Family::Video, &[AD]),
    ev(
        "Video Quality Updated",
        Family::Video,
        &[&[
            p("bitrate", Number),
            p("framerate", Number),
            p("start_bitrate", Number),
            p("quality", Str),
        ]],
    ),
];

// ---------------------------------------------------------------------------
// Email: https://docs.customer.io/integrations/data-in/semantic-events/email/
// (events an email tool reports about its messages; Segment's Email spec)

const EMAIL_PROPS: &[Prop] = &[
    p("email_id", Str),
    p("email_subject", Str),
    p("campaign_id", Str),
    p("campaign_name", Str),
];
const LINK: &[Prop] = &[p("link_id", Str), p("link_url", Str)];
const LIST_ID: &[Prop] = &[p("list_id", Str), p("list_name", Str)];

const EMAIL: &[Event] = &[
    ev("Email Bounced", Family::Email, &[EMAIL_PROPS]),
    ev("Email Delivered", Family::Email, &[EMAIL_PROPS]),
    ev("Email Link Clicked", Family::Email, &[EMAIL_PROPS, LINK]),
    ev("Email Marked as Spam", Family::Email, &[EMAIL_PROPS]),
    ev("Email Opened", Family::Email, &[EMAIL_PROPS]),
    ev("Unsubscribed", Family::Email, &[EMAIL_PROPS, LIST_ID]),
];

// ---------------------------------------------------------------------------
// Live Chat: https://docs.customer.io/integrations/data-in/semantic-events/live-chat/
// (conversation and message events; Segment's Live Chat spec)

const CONVERSATION: &[Prop] = &[p("conversation_id", Str)];
const MESSAGE: &[Prop] = &[p("message_id", Str), p("message_body", Str)];

const LIVE_CHAT: &[Event] = &[
    ev(
        "Live Chat Conversation Started",
        Family::LiveChat,
        &[CONVERSATION],
    ),
    ev(
        "Live Chat Conversation Ended",
        Family::LiveChat,
        &[CONVERSATION, &[p("conversation_duration", Number)]],
    ),
    ev(
        "Live Chat Message Sent",
        Family::LiveChat,
        &[CONVERSATION, MESSAGE],
    ),
    ev(
        "Live Chat Message Received",
        Family::LiveChat,
        &[CONVERSATION, MESSAGE],
    ),
];

// ---------------------------------------------------------------------------
// A/B testing: https://docs.customer.io/integrations/data-in/semantic-events/a-b-test/

const AB_TESTING: &[Event] = &[ev(
    "Experiment Viewed",
    Family::AbTesting,
    &[&[
        e("experiment_id", Str),
        p("experiment_name", Str),
        e("variation_id", Str),
        p("variation_name", Str),
    ]],
)];

// ---------------------------------------------------------------------------
// Customer.io's own track names: https://docs.customer.io/integrations/data-in/semantic-events/cio-journeys/
// (the Customer.io semantic events OpenAPI: device events need `userId` and
// `context.device.token`; the person events act on `userId`)

use Requirement::{DeviceToken, UserId};

const CUSTOMERIO: &[Event] = &[
    cio_ev("Device Created or Updated", &[UserId, DeviceToken]),
    cio_ev("Device Deleted", &[UserId, DeviceToken]),
    cio_ev("User Deleted", &[UserId]),
    cio_ev("User Suppressed", &[UserId]),
    cio_ev("User Unsuppressed", &[UserId]),
    cio_ev("Relationship Deleted", &[UserId]),
    cio_ev("Object Deleted", &[]),
];

/// Every family's table.
pub const TABLES: &[&[Event]] = &[
    ECOMMERCE, MOBILE, VIDEO, EMAIL, LIVE_CHAT, AB_TESTING, CUSTOMERIO,
];

pub fn all() -> impl Iterator<Item = &'static Event> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// The semantic event names, for shell completion of `cio track` and `cio events`.
pub fn completion_candidates() -> Vec<clap_complete::CompletionCandidate> {
    all()
        .map(|e| {
            clap_complete::CompletionCandidate::new(e.name).help(Some(e.family.as_str().into()))
        })
        .collect()
}
