// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IOracleHub} from "./interfaces/IOracleHub.sol";
import {IInvoiceToken} from "./interfaces/IInvoiceToken.sol";

/// @title OracleHub
/// @notice Verifies k-of-n signed oracle reports and applies them exactly once.
/// @dev OpenZeppelin's EIP712 caches the domain separator and rebuilds it whenever `block.chainid` or the contract
///      address differ from the cached ones, which is the cross-chain replay guard.
contract OracleHub is IOracleHub, AccessControl, Pausable, EIP712 {
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    bytes32 public constant VERIFICATION_TYPEHASH = keccak256(
        "Verification(uint256 invoiceId,bytes32 docDigest,bool approved,uint8 riskScore,uint16 checks,uint64 deadline,uint256 nonce)"
    );
    bytes32 public constant REPAYMENT_TYPEHASH = keccak256(
        "Repayment(uint256 invoiceId,uint128 amount,bytes32 bankRef,uint64 paidAt,uint64 deadline,uint256 nonce)"
    );

    uint8 private constant _KIND_VERIFICATION = 0;
    uint8 private constant _KIND_REPAYMENT = 1;

    IInvoiceToken public immutable token;
    /// @notice The only caller of `consumeRepayment`.
    address public immutable distributor;

    address[] private _signers;
    /// @dev A signer is current iff its recorded version equals `_version`; replacing the set is one increment, with
    ///      no loop to clear the old entries.
    mapping(address signer => uint256 version) private _signerVersion;
    uint256 private _version;
    uint8 private _threshold;

    mapping(bytes32 reportId => bool) private _reportUsed;
    mapping(bytes32 bankRef => bool) private _bankRefUsed;

    constructor(address admin, IInvoiceToken invoiceToken, address repaymentDistributor)
        EIP712("Hundi OracleHub", "1")
    {
        require(repaymentDistributor != address(0) && address(invoiceToken) != address(0), ZeroAddress());
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        token = invoiceToken;
        distributor = repaymentDistributor;
    }

    /// @inheritdoc IOracleHub
    function setSigners(address[] calldata signers, uint8 threshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(threshold >= 1 && threshold <= signers.length, InvalidThreshold(threshold, signers.length));
        uint256 version = _version + 1;
        for (uint256 i; i < signers.length; ++i) {
            address s = signers[i];
            require(s != address(0) && _signerVersion[s] != version, InvalidSigner(s));
            _signerVersion[s] = version;
        }
        _version = version;
        _threshold = threshold;
        _signers = signers;
        emit SignerSetUpdated(version, signers, threshold);
    }

    /// @inheritdoc IOracleHub
    function submitVerification(Verification calldata r, bytes[] calldata signatures) external whenNotPaused {
        bytes32 reportId = hashVerification(r);
        _accept(reportId, r.deadline, signatures);
        bytes32 onChain = token.invoiceOf(r.invoiceId).docDigest;
        require(onChain == r.docDigest, DigestMismatch(r.invoiceId, onChain, r.docDigest));
        emit ReportAccepted(reportId, _KIND_VERIFICATION, r.invoiceId, msg.sender);
        token.recordVerification(r.invoiceId, r.approved, r.riskScore, r.checks, reportId);
    }

    /// @inheritdoc IOracleHub
    function consumeRepayment(Repayment calldata r, bytes[] calldata signatures) external whenNotPaused {
        require(msg.sender == distributor, NotDistributor(msg.sender));
        require(r.amount != 0, ZeroAmount());
        require(r.bankRef != bytes32(0), EmptyBankRef());
        require(!_bankRefUsed[r.bankRef], BankRefAlreadyUsed(r.bankRef));
        bytes32 reportId = hashRepayment(r);
        _accept(reportId, r.deadline, signatures);
        _bankRefUsed[r.bankRef] = true;
        // The submitter is the distributor; the collector who paid is `payer` in its RepaymentReceived.
        emit ReportAccepted(reportId, _KIND_REPAYMENT, r.invoiceId, msg.sender);
    }

    /// @inheritdoc IOracleHub
    function hashVerification(Verification calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    VERIFICATION_TYPEHASH,
                    r.invoiceId,
                    r.docDigest,
                    r.approved,
                    r.riskScore,
                    r.checks,
                    r.deadline,
                    r.nonce
                )
            )
        );
    }

    /// @inheritdoc IOracleHub
    function hashRepayment(Repayment calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(REPAYMENT_TYPEHASH, r.invoiceId, r.amount, r.bankRef, r.paidAt, r.deadline, r.nonce))
        );
    }

    /// @inheritdoc IOracleHub
    function isReportUsed(bytes32 reportId) external view returns (bool) {
        return _reportUsed[reportId];
    }

    /// @inheritdoc IOracleHub
    function isBankRefUsed(bytes32 bankRef) external view returns (bool) {
        return _bankRefUsed[bankRef];
    }

    /// @inheritdoc IOracleHub
    function signerSet() external view returns (address[] memory signers, uint8 threshold, uint256 version) {
        return (_signers, _threshold, _version);
    }

    /// @inheritdoc IOracleHub
    function isSigner(address account) public view returns (bool) {
        return _version != 0 && _signerVersion[account] == _version;
    }

    /// @inheritdoc IOracleHub
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @dev Checks the deadline, single use and k-of-n signatures of `reportId`, then marks it used.
    ///      Signatures must be sorted by strictly increasing signer address, which makes distinctness a cheap check.
    function _accept(bytes32 reportId, uint64 deadline, bytes[] calldata signatures) private {
        require(block.timestamp <= deadline, ReportExpired(deadline, block.timestamp));
        require(!_reportUsed[reportId], ReportAlreadyUsed(reportId));
        uint8 threshold = _threshold;
        require(threshold != 0 && signatures.length >= threshold, InsufficientSignatures(signatures.length, threshold));
        uint256 version = _version;
        address previous = address(0);
        for (uint256 i; i < signatures.length; ++i) {
            // ECDSA.recover rejects malleable (high-s) and malformed signatures.
            address signer = ECDSA.recover(reportId, signatures[i]);
            require(signer != previous, DuplicateSigner(signer));
            require(signer > previous, SignaturesNotSorted(previous, signer));
            require(_signerVersion[signer] == version, UnknownSigner(signer));
            previous = signer;
        }
        _reportUsed[reportId] = true;
    }
}
