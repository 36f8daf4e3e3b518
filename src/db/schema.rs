// One schema for both backends: only types both have (vaultwarden's rule).
// Times are naive UTC timestamps; calendar dates are China-local dates.

diesel::table! {
    cases (id) {
        id -> BigInt,
        case_number -> Text,
        status -> Text,
        tracking_token_hash -> Text,
        submission_key_hash -> Text,
        submission_fingerprint -> Text,
        lang -> Text,
        wechat_id -> Text,
        email -> Text,
        packet_kind -> Text,
        amount_fen -> BigInt,
        sent_at -> Timestamp,
        transaction_id -> Text,
        counterparty_phone_suffix -> Text,
        card_last4 -> Text,
        account -> Text,
        filed_at -> Timestamp,
        filed_on -> Date,
        review_target -> Date,
        review_deadline -> Date,
        updated_at -> Timestamp,
        assignee_id -> Nullable<BigInt>,
        awaiting_since -> Nullable<Date>,
        reply_due -> Nullable<Date>,
        evidence_request -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        decided_on -> Nullable<Date>,
        open_deadline -> Nullable<Date>,
        client_addr -> Nullable<Text>,
        quota_year -> Integer,
        version -> BigInt,
        claim_status -> Nullable<Text>,
        claim_acknowledged -> Bool,
    }
}

diesel::table! {
    guidance_counts (day, reason, filed) {
        day -> Date,
        reason -> Text,
        filed -> Bool,
        submissions -> Integer,
    }
}

diesel::table! {
    quota_slots (wechat_id, year, slot) {
        wechat_id -> Text,
        year -> Integer,
        slot -> Integer,
        case_id -> BigInt,
    }
}

diesel::table! {
    receipt_slots (mailbox, day, slot) {
        mailbox -> Text,
        day -> Date,
        slot -> Integer,
        case_id -> BigInt,
    }
}

diesel::table! {
    case_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        note -> Nullable<Text>,
        agent_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        kind -> Text,
        name_zh -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    calendar_years (year) {
        year -> Integer,
        source -> Text,
        loaded_at -> Timestamp,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    agents (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    agent_sessions (key_hash) {
        key_hash -> Text,
        agent_id -> Nullable<BigInt>,
        state -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        subject -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(quota_slots -> cases (case_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(cases -> agents (assignee_id));
diesel::allow_tables_to_appear_in_same_query!(cases, quota_slots, case_events, agents);

diesel::table! {
    outbox (id) {
        id -> BigInt,
        message -> Text,
        recipient -> Text,
        lang -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        case_id -> Nullable<BigInt>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(outbox -> cases (case_id));
diesel::allow_tables_to_appear_in_same_query!(outbox, cases);

diesel::table! {
    digest_runs (day) {
        day -> Date,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    evidence_blobs (sha256) {
        sha256 -> Text,
        bytes -> Binary,
    }
}

diesel::table! {
    evidence_files (id) {
        id -> BigInt,
        file_key -> Text,
        case_id -> BigInt,
        kind -> Text,
        name -> Text,
        size -> BigInt,
        sha256 -> Text,
        thumb_sha256 -> Nullable<Text>,
        added_by -> Text,
        agent_id -> Nullable<BigInt>,
        added_at -> Timestamp,
    }
}

diesel::table! {
    pending_files (id) {
        id -> BigInt,
        file_key -> Text,
        form_key_hash -> Text,
        kind -> Text,
        name -> Text,
        size -> BigInt,
        sha256 -> Text,
        thumb_sha256 -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(evidence_files -> cases (case_id));
diesel::allow_tables_to_appear_in_same_query!(evidence_files, cases, evidence_blobs);
diesel::allow_tables_to_appear_in_same_query!(pending_files, evidence_blobs);

diesel::table! {
    daily_counts (status, day, packet_kind, shard) {
        status -> Text,
        day -> Date,
        packet_kind -> Text,
        shard -> Integer,
        entered -> Integer,
        within_target -> Integer,
        within_deadline -> Integer,
    }
}

// Open work as the triggers of migration 000018 keep it: cases per open status,
// deadline and assignee (0: none), spread over `shard`.
diesel::table! {
    open_counts (status, deadline, assignee_id, shard) {
        status -> Text,
        deadline -> Date,
        assignee_id -> BigInt,
        shard -> Integer,
        n -> Integer,
    }
}

diesel::allow_tables_to_appear_in_same_query!(open_counts, agents);

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        name -> Text,
        key_hash -> Text,
        scopes -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        url -> Text,
        events -> Text,
        enabled -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_expires_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        failing_since -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
    }
}

diesel::table! {
    api_idempotency (api_key_id, idempotency_key) {
        api_key_id -> BigInt,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_outcomes (case_id) {
        case_id -> BigInt,
        result -> Text,
        reference -> Text,
        amount_fen -> Nullable<BigInt>,
        note -> Text,
        reported_by -> Text,
        reported_at -> Timestamp,
    }
}

diesel::joinable!(case_outcomes -> cases (case_id));
diesel::allow_tables_to_appear_in_same_query!(case_outcomes, cases);

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        event -> Text,
        message_id -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        last_status -> Nullable<Integer>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::allow_tables_to_appear_in_same_query!(webhook_deliveries, webhook_endpoints);

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        agent_id -> BigInt,
        digest -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    saved_replies (id) {
        id -> BigInt,
        title -> Text,
        text_zh -> Text,
        text_en -> Text,
        applies_to -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    security_events (id) {
        id -> BigInt,
        agent_id -> BigInt,
        kind -> Text,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    agent_preferences (agent_id) {
        agent_id -> BigInt,
        lang -> Text,
        notify_replied -> Bool,
        notify_withdrawn -> Bool,
        notify_assigned -> Bool,
        notify_morning -> Bool,
        morning_sent_on -> Nullable<Date>,
    }
}

diesel::joinable!(agent_preferences -> agents (agent_id));
diesel::allow_tables_to_appear_in_same_query!(agent_preferences, agents);
