//! Entitlements and subscriptions.

use serde::{Deserialize, Serialize};

use super::{
    int_enum, ApplicationId, EntitlementId, GuildId, SkuId, SubscriptionId, Timestamp, UserId,
};

int_enum! {
    /// Entitlement type.
    pub enum EntitlementType: u16 {
        /// Bought by a user.
        Purchase = 1,
        /// Discord Nitro.
        PremiumSubscription = 2,
        /// Developer gift.
        DeveloperGift = 3,
        /// Test mode purchase.
        TestModePurchase = 4,
        /// Free purchase.
        FreePurchase = 5,
        /// Gifted by a user.
        UserGift = 6,
        /// Nitro perk.
        PremiumPurchase = 7,
        /// App subscription.
        ApplicationSubscription = 8,
    }
}

int_enum! {
    /// Subscription status.
    pub enum SubscriptionStatus: u16 {
        /// Active, will renew.
        Active = 0,
        /// Active, will not renew.
        Ending = 1,
        /// Inactive.
        Inactive = 2,
    }
}

/// An entitlement to a premium offering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    /// Entitlement ID.
    pub id: EntitlementId,
    /// SKU.
    pub sku_id: SkuId,
    /// Application.
    pub application_id: ApplicationId,
    /// User.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Type.
    #[serde(rename = "type")]
    pub kind: EntitlementType,
    /// Deleted.
    #[serde(default)]
    pub deleted: bool,
    /// Valid from.
    #[serde(default)]
    pub starts_at: Option<Timestamp>,
    /// Valid until.
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    /// Guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// Consumed (one-time purchases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed: Option<bool>,
}

/// A user's recurring subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Subscription ID.
    pub id: SubscriptionId,
    /// Subscriber.
    pub user_id: UserId,
    /// SKUs.
    #[serde(default)]
    pub sku_ids: Vec<SkuId>,
    /// Entitlements granted.
    #[serde(default)]
    pub entitlement_ids: Vec<EntitlementId>,
    /// SKUs of the renewal.
    #[serde(default)]
    pub renewal_sku_ids: Option<Vec<SkuId>>,
    /// Current period start.
    pub current_period_start: Timestamp,
    /// Current period end.
    pub current_period_end: Timestamp,
    /// Status.
    pub status: SubscriptionStatus,
    /// When cancelled.
    #[serde(default)]
    pub canceled_at: Option<Timestamp>,
    /// ISO 3166-1 country (with the private scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}
