"""全莞拍 rewards: the citizens' points ledger (pending and available points), the rules that earn
and take back points from the case timeline, titles and badges, prizes and their redemption,
leaderboards, farming flags, and the campaign's figures."""
