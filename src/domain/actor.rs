//! Who acts on a case: an agent, the appellant, or the periodic jobs.

use super::agent::Role;
use super::ids::AgentId;

/// Who acts on a case.
#[derive(Clone, Debug)]
pub enum Actor {
    Agent {
        id: AgentId,
        email: String,
        role: Role,
    },
    Appellant,
    /// The periodic job.
    System,
    /// The back office, through an API key: the timeline names the key.
    ApiKey {
        name: String,
    },
}

impl Actor {
    /// The name the timeline shows for it.
    pub fn name(&self) -> &str {
        match self {
            Actor::Agent { email, .. } => email,
            Actor::Appellant => "appellant",
            Actor::System => "system",
            Actor::ApiKey { name } => name,
        }
    }

    pub fn agent_id(&self) -> Option<AgentId> {
        match self {
            Actor::Agent { id, .. } => Some(*id),
            _ => None,
        }
    }
}
