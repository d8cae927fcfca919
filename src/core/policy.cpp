// Policy decisions: the action for a guarded session.
// See policy.hpp for the contract.
#include "core/policy.hpp"

namespace agentguard {

namespace {

Action decide_destructive(const Facts& facts)
{
    if (facts.mode == Mode::Off)
        return Action::Allow;
    if (facts.only_temp_objects && facts.allow_temp_drops)
        return Action::AllowTemp;
    if (facts.token_valid)
        return Action::Approved;
    if (facts.mode == Mode::Warn)
        return Action::Warn;
    return Action::Block;
}

}  // namespace

Action decide(const Facts& facts)
{
    switch (facts.cls) {
    case StatementClass::Harmless:
        return Action::Allow;
    case StatementClass::DestructiveDdl:
    case StatementClass::DestructiveDml:
        return decide_destructive(facts);
    case StatementClass::SelfProtection:
        return Action::Block;
    }
    return Action::Block;  // a value outside the enum: fail closed
}

}  // namespace agentguard
